"""Rate limits per identity: 429 with Retry-After, shared between replicas through Redis."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx

from auth import hash_api_key
from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Sandbox, sandbox_settings
from tests.tokens import PARTNER_KEY, auth_env, bearer, claims, hs256

QUERY = {"query": '{ customer(id: "1") { id } }'}
LIMITED_KEY = "cgk_limited-partner-0123456789abcdefghijklmnopqrs"


def _env(storage_url: str = "memory://", **more: str) -> dict[str, str]:
    env = auth_env(**more)
    keys = json.loads(env["CG_AUTH__API_KEYS"])
    keys["limited"] = {
        "sha256": hash_api_key(LIMITED_KEY),
        "scopes": ["customers:read"],
        "rate_limit": "3/minute",
    }
    return {
        **env,
        "CG_AUTH__API_KEYS": json.dumps(keys),
        "CG_LIMITS__RATE__STORAGE_URL": storage_url,
        # Unique per test run, so parallel runs and earlier runs never share counters.
        "CG_LIMITS__RATE__KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "CG_LIMITS__RATE__CONSUMER": "2/minute",
    }


@contextmanager
def gateways(sandbox_url: str, count: int, **env: str) -> Iterator[list[httpx.Client]]:
    settings = sandbox_settings(sandbox_url, **env)
    with ExitStack() as stack:
        urls = [
            stack.enter_context(run_in_thread(create_app(settings, clock=lambda: claims()["iat"])))
            for _ in range(count)
        ]
        yield [httpx.Client(base_url=url, timeout=10) for url in urls]


def _assert_limited(response: httpx.Response, rate: str) -> None:
    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert response.json() == {
        "errors": [
            {
                "message": f"rate limit of {rate} exceeded; retry after {retry_after} s",
                "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
            }
        ]
    }


def test_partner_over_its_own_limit_gets_429_before_any_call(
    sandbox_server: Sandbox, sandbox: Sandbox
) -> None:
    with gateways(sandbox_server.url, 1, **_env()) as (http,):
        key = {"x-api-key": LIMITED_KEY}
        assert [http.post("/graphql", json=QUERY, headers=key).status_code for _ in range(3)] == [
            200,
            200,
            200,
        ]
        calls = sandbox.calls()["crm"]
        _assert_limited(http.post("/graphql", json=QUERY, headers=key), "3 per 1 minute")
        assert sandbox.calls()["crm"] == calls
        # Another partner has its own count.
        other = http.post("/graphql", json=QUERY, headers={"x-api-key": PARTNER_KEY})
        assert other.status_code == 200


def test_consumers_are_counted_by_subject(sandbox_server: Sandbox) -> None:
    with gateways(sandbox_server.url, 1, **_env()) as (http,):
        seven = bearer(hs256(claims("7")))
        statuses = [http.post("/graphql", json=QUERY, headers=seven).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        eight = http.post("/graphql", json=QUERY, headers=bearer(hs256(claims("8"))))
        assert eight.status_code == 200


def test_anonymous_callers_are_counted_by_address(sandbox_server: Sandbox) -> None:
    env = {
        "CG_LIMITS__RATE__ANONYMOUS": "2/minute",
        "CG_LIMITS__RATE__KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    with gateways(sandbox_server.url, 1, **env) as (http,):
        statuses = [http.post("/graphql", json=QUERY).status_code for _ in range(3)]
        # The GraphiQL page runs no operation and is not counted.
        page = http.get("/graphql", headers={"accept": "text/html"})
    assert statuses == [200, 200, 429]
    assert page.status_code == 200


def test_two_gateways_sharing_redis_share_the_count(sandbox_server: Sandbox) -> None:
    env = _env("redis://127.0.0.1:6379")
    with gateways(sandbox_server.url, 2, **env) as (first, second):
        key = {"x-api-key": LIMITED_KEY}
        statuses = [
            first.post("/graphql", json=QUERY, headers=key).status_code,
            second.post("/graphql", json=QUERY, headers=key).status_code,
            first.post("/graphql", json=QUERY, headers=key).status_code,
        ]
        assert statuses == [200, 200, 200]
        _assert_limited(second.post("/graphql", json=QUERY, headers=key), "3 per 1 minute")
        _assert_limited(first.post("/graphql", json=QUERY, headers=key), "3 per 1 minute")


def test_unreachable_redis_lets_requests_through(sandbox_server: Sandbox) -> None:
    # Failing open: an outage of the counter store must not become an outage of the gateway.
    with gateways(sandbox_server.url, 1, **_env("redis://127.0.0.1:9")) as (http,):
        key = {"x-api-key": LIMITED_KEY}
        statuses = [http.post("/graphql", json=QUERY, headers=key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 200]
