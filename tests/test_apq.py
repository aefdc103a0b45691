"""Persisted queries: the APQ round trip, over POST and GET, and the allow-list mode."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from tests.conftest import REDIS_URL, Gateway, Sandbox, sandbox_settings

StartGateway = Callable[..., AbstractContextManager[str]]

QUERY = "query Email($id: ID!) { customer(id: $id) { id email } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
BY_HASH = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}


def post(gateway: Gateway, payload: dict[str, Any]) -> tuple[int, Any]:
    response = gateway.http.post("/graphql", json=payload)
    return response.status_code, response.json()


def get(gateway: Gateway, **params: Any) -> Any:
    encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return gateway.http.get("/graphql", params=encoded)


def test_unknown_hash_then_registration_then_hash_only(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    with start_gateway(sandbox_settings(sandbox.url)) as url:
        gateway = Gateway(url)
        variables = {"id": "7"}
        status, body = post(gateway, {"extensions": BY_HASH, "variables": variables})
        assert status == 200
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert body["errors"][0]["message"] == "PersistedQueryNotFound"
        expected = {"customer": {"id": "7", "email": sandbox.data.customer("7").email}}
        registered = post(gateway, {"query": QUERY, "extensions": BY_HASH, "variables": variables})
        assert registered == (200, {"data": expected})
        assert post(gateway, {"extensions": BY_HASH, "variables": variables}) == (
            200,
            {"data": expected},
        )
        over_get = get(gateway, extensions=BY_HASH, variables=variables)
        assert over_get.status_code == 200
        assert over_get.json() == {"data": expected}


def test_a_hash_that_does_not_match_the_query_is_refused(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    with start_gateway(sandbox_settings(sandbox.url)) as url:
        wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
        status, body = post(Gateway(url), {"query": QUERY, "extensions": wrong})
        assert status == 400
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
        status, body = post(Gateway(url), {"extensions": {"persistedQuery": {"version": 1}}})
        assert status == 400
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_INVALID"


def test_get_query_responses_carry_the_configured_cache_control(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    settings = sandbox_settings(sandbox.url, CG_APQ__GET_CACHE_CONTROL="private, max-age=30")
    with start_gateway(settings) as url:
        gateway = Gateway(url)
        post(gateway, {"query": QUERY, "extensions": BY_HASH, "variables": {"id": "1"}})
        ok = get(gateway, extensions=BY_HASH, variables={"id": "1"})
        assert ok.headers["cache-control"] == "private, max-age=30"
        # Errors and POSTs are never cacheable.
        failed = get(gateway, query="{ customer(id: 1) { nope } }")
        assert "cache-control" not in failed.headers
        posted = gateway.http.post("/graphql", json={"query": QUERY, "variables": {"id": "1"}})
        assert "cache-control" not in posted.headers


def test_registrations_are_shared_through_redis(
    sandbox: Sandbox, start_gateway: StartGateway, redis_prefix: str
) -> None:
    settings = sandbox_settings(
        sandbox.url,
        CG_CACHE__REDIS_URL=REDIS_URL,
        CG_CACHE__REDIS_PREFIX=redis_prefix,
        CG_APQ__STORE="redis",
        CG_REDIS__COMMAND_TIMEOUT="2",
        CG_REDIS__CONNECT_TIMEOUT="2",
    )
    with start_gateway(settings) as one_url, start_gateway(settings) as two_url:
        one, two = Gateway(one_url), Gateway(two_url)
        post(one, {"query": QUERY, "extensions": BY_HASH, "variables": {"id": "2"}})
        status, body = post(two, {"extensions": BY_HASH, "variables": {"id": "2"}})
        assert (status, body["data"]["customer"]["id"]) == (200, "2")


def test_allow_list_runs_only_listed_operations(
    sandbox: Sandbox, start_gateway: StartGateway, tmp_path: Path
) -> None:
    manifest = tmp_path / "operations.json"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": HASH, "name": "Email", "type": "query", "body": QUERY}],
            }
        )
    )
    settings = sandbox_settings(sandbox.url, CG_APQ__ALLOW_LIST=str(manifest))
    with start_gateway(settings) as url:
        gateway = Gateway(url)
        status, body = post(gateway, {"extensions": BY_HASH, "variables": {"id": "3"}})
        assert (status, body["data"]["customer"]["id"]) == (200, "3")
        status, body = post(gateway, {"query": QUERY, "variables": {"id": "3"}})
        assert (status, body["data"]["customer"]["id"]) == (200, "3")
        other = '{ customer(id: "3") { phone } }'
        other_hash = {
            "persistedQuery": {
                "version": 1,
                "sha256Hash": hashlib.sha256(other.encode()).hexdigest(),
            }
        }
        for payload in (
            {"query": other},
            {"query": other, "extensions": other_hash},
            {"extensions": other_hash},
        ):
            status, body = post(gateway, payload)
            assert status == 403
            assert body["errors"][0]["extensions"]["code"] == "OPERATION_NOT_ALLOWED"
        # The listed operation's one fetch (then cached); refused operations never ran.
        assert sandbox.calls()["crm"] == 1


def test_an_unreachable_redis_store_only_costs_registrations(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    settings = sandbox_settings(
        sandbox.url, CG_CACHE__REDIS_URL="redis://127.0.0.1:1/0", CG_APQ__STORE="redis"
    )
    with start_gateway(settings) as url:
        gateway = Gateway(url)
        status, body = post(
            gateway, {"query": QUERY, "extensions": BY_HASH, "variables": {"id": "4"}}
        )
        assert (status, body["data"]["customer"]["id"]) == (200, "4")
        status, body = post(gateway, {"extensions": BY_HASH, "variables": {"id": "4"}})
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
