"""Shared fixtures: the sandbox upstreams and the gateway as real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx
import pytest
import redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

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
        """Requests per API. The GraphQL support desk is listed only once it was called, so
        the REST-only expectations of most tests also say that it was not."""
        return {
            api: s["requests"]
            for api, s in self.stats().items()
            if api != "support" or s["requests"]
        }

    def reset(self) -> None:
        self.http.post("/_stats/reset").raise_for_status()
        self.http.delete("/_faults").raise_for_status()

    def set_faults(self, **faults: dict[str, Any]) -> None:
        self.http.put("/_faults", json=faults).raise_for_status()


class FakeTimer:
    """A timer the test moves; sleeping moves it at once and records how long was asked.

    ``on_sleep`` runs at each sleep, so a test can act between an attempt and its retry.
    """

    def __init__(self) -> None:
        self.time = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], None] | None = None

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.time += seconds


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
    """The shipped sandbox config pointed at a running sandbox, with CG_* overrides.

    Answers carry ``extensions.freshness`` only when a test asks (``X-Freshness: 1`` or
    ``CG_FRESHNESS__BY_DEFAULT``): whole answers compared byte for byte stay the same.
    """
    quiet = {"CG_FRESHNESS__BY_DEFAULT": "false"}
    return load_settings(DEFAULT_CONFIG, {"SANDBOX_URL": sandbox_url, **quiet, **env})


def uncached_settings(sandbox_url: str, **env: str) -> Settings:
    """``sandbox_settings`` without the entity cache: every query reaches the upstreams."""
    return sandbox_settings(sandbox_url, CG_CACHE__ENABLED="false", **env)


# The type of the ``start_gateway`` fixture.
StartGateway = Callable[..., AbstractContextManager[str]]


class ManualClock:
    """A clock tests move by hand: seconds since the epoch, starting at a fixed time."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def _invalidate(request: Request) -> Response:
    body = await request.json()
    await request.app.state.gateway.started.sources.invalidate(body["source"], body["ids"])
    return JSONResponse({"ok": True})


@contextmanager
def replica(settings: Settings, clock: ManualClock) -> Iterator[Gateway]:
    """A gateway with a route that calls ``SourceSet.invalidate``, as a write would."""
    app = create_app(settings, clock=clock)
    app.router.routes.append(Route("/_invalidate", _invalidate, methods=["POST"]))
    with run_in_thread(app) as url:
        yield Gateway(url)


@pytest.fixture
def start_gateway() -> StartGateway:
    """Start a gateway for given settings: ``with start_gateway(settings) as url: ...``;
    keyword arguments go to ``create_app`` (e.g. ``clock=``, ``timer=``)."""

    def start(settings: Settings, **app_options: Any) -> AbstractContextManager[str]:
        return run_in_thread(create_app(settings, **app_options))

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


REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def redis_keyspace(label: str = "cgtest") -> Iterator[str]:
    """A key prefix of the real Redis on 127.0.0.1:6379 that nothing else uses, and every key
    holding it (anywhere in the name, as rate-limit keys do) deleted afterwards.

    Without Redis the test is skipped, except in CI (``CI`` set), where it fails.
    """
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI and is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL} ({exc}); CI is unset, so the test is skipped")
    unique = uuid.uuid4().hex
    try:
        yield f"{label}:{unique}:"
    finally:
        keys = list(client.scan_iter(match=f"*{unique}*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of the real Redis that no other test uses, emptied after the test."""
    with redis_keyspace() as prefix:
        yield prefix
