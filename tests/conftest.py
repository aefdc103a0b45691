"""Shared fixtures: the sandbox upstreams and the gateway as real servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import DEFAULT_CONFIG, Settings, load_settings
from sandbox import SandboxSettings
from sandbox import create_app as create_sandbox
from sandbox.data import Dataset
from sandbox.server import run_in_thread

SANDBOX_SETTINGS = SandboxSettings()


class Sandbox:
    """A running sandbox: its URL, its request counts and its fault switches."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)
        self.data = Dataset(SANDBOX_SETTINGS)

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.http.get("/_stats").raise_for_status().json()
        return result

    def calls(self) -> dict[str, int]:
        return {api: s["requests"] for api, s in self.stats().items()}

    def reset(self) -> None:
        self.http.post("/_stats/reset").raise_for_status()
        self.http.delete("/_faults").raise_for_status()

    def set_faults(self, **faults: dict[str, Any]) -> None:
        self.http.put("/_faults", json=faults).raise_for_status()


class Gateway:
    """A running gateway and a GraphQL client for it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def query(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, **kw
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    with run_in_thread(create_sandbox(SANDBOX_SETTINGS)) as url:
        yield Sandbox(url)


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Iterator[Sandbox]:
    """The shared sandbox with counters zeroed and no faults, before and after the test."""
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.reset()


def sandbox_settings(sandbox_url: str, **env: str) -> Settings:
    """The shipped sandbox config pointed at a running sandbox, with CG_* overrides."""
    return load_settings(DEFAULT_CONFIG, {"SANDBOX_URL": sandbox_url, **env})


@pytest.fixture
def start_gateway() -> Callable[[Settings], AbstractContextManager[str]]:
    """Start a gateway for given settings: ``with start_gateway(settings) as url: ...``."""

    def start(settings: Settings) -> AbstractContextManager[str]:
        return run_in_thread(create_app(settings))

    return start


@pytest.fixture(scope="session")
def gateway_server(sandbox_server: Sandbox) -> Iterator[Gateway]:
    # No entity cache: each test sees exactly its own upstream calls. Cache tests start
    # their own gateways.
    settings = sandbox_settings(sandbox_server.url, CG_CACHE__ENABLED="false")
    with run_in_thread(create_app(settings)) as url:
        yield Gateway(url)


@pytest.fixture
def gateway(gateway_server: Gateway, sandbox: Sandbox) -> Gateway:
    """The shared gateway over the shared sandbox, with the sandbox's counters zeroed."""
    return gateway_server
