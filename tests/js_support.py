"""Node, the pinned npm packages of tests/js, Chromium, and a demo-like gateway for them.

The packages are installed with ``npm ci`` from the committed lock file when missing (or
when the lock changed); Chromium comes from Debian's ``chromium`` package, installed with
apt-get when missing. Without node, or without a way to get Chromium, the tests are skipped
with the reason, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.demo import DEMO_SECRET_ENV, demo_environment
from gateway.graphiql import DEFAULT_ASSETS, fetch_assets, missing_assets
from gateway.settings import DEFAULT_CONFIG, load_settings
from sandbox import SandboxSettings
from sandbox import create_app as create_sandbox
from sandbox.server import run_in_thread

JS_DIR = Path(__file__).with_name("js")
CHROMIUM = Path("/usr/bin/chromium")


def unavailable(reason: str) -> None:
    """Skip for ``reason``, or fail in CI, where everything must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(f"{reason}; CI is unset, so the test is skipped")


@pytest.fixture(scope="session")
def node_packages() -> Path:
    """tests/js with its node_modules installed from package-lock.json."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node and npm are needed for the JavaScript client tests")
    lock = JS_DIR / "package-lock.json"
    stamp = JS_DIR / "node_modules" / ".lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if not stamp.is_file() or stamp.read_text() != digest:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci failed in {JS_DIR}:\n{done.stderr[-2000:]}")
        stamp.write_text(digest)
    return JS_DIR


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing."""
    if not CHROMIUM.exists() and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-q"],
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"],
        ):
            subprocess.run(command, env=env, capture_output=True, timeout=900, check=False)
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing and could not be installed with apt-get")
    return CHROMIUM


@pytest.fixture(scope="session")
def graphiql_assets() -> Path:
    """GraphiQL's files, fetched as ``./dev`` does when they are missing."""
    if missing_assets(DEFAULT_ASSETS):
        if shutil.which("npm") is None:
            unavailable("npm is needed to fetch GraphiQL's files")
        fetch_assets(DEFAULT_ASSETS)
    return DEFAULT_ASSETS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def demo_gateway() -> Iterator[str]:
    """A sandbox and a gateway wired as ``customer-graph demo`` wires them (the CRM signs a
    notice per write, the gateway accepts it), with batching on; the gateway's URL."""
    sandbox_port, port = free_port(), free_port()
    environ = demo_environment({}, "127.0.0.1", sandbox_port)
    sandbox = SandboxSettings(
        notify_url=f"http://127.0.0.1:{port}/webhooks/crm",
        notify_secret=environ[DEMO_SECRET_ENV],
    )
    settings = load_settings(
        DEFAULT_CONFIG, {**environ, "CG_HTTP__MAX_BATCH": "10", "CG_CACHE__ENABLED": "false"}
    )
    with ExitStack() as stack:
        stack.enter_context(run_in_thread(create_sandbox(sandbox), port=sandbox_port))
        yield stack.enter_context(run_in_thread(create_app(settings), port=port))


def run_node(directory: Path, script: str, *args: str, timeout: float = 120) -> Any:
    """Run one of the tests/js scripts; the JSON object it prints."""
    done = subprocess.run(
        ["node", "--experimental-websocket", script, *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"{script} printed no JSON:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
