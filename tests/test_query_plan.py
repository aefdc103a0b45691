"""Query plans on request: ``X-Query-Plan: true`` adds the upstream calls a query made to
``extensions.queryPlan``; ``dry-run`` lists the same calls without sending any."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox, StartGateway, sandbox_settings
from tests.tokens import NOW, PARTNER_KEY, auth_env, bearer, hs256, staff_claims

ALL_SOURCES = """
query ($ids: [ID!]!) {
  customers(ids: $ids) {
    id name email
    orders(first: 3) { totalCount edges { node { id status } } }
    loyalty { tier points }
    preferences { channel optIn }
    tickets { id status }
  }
}
"""
HUNDRED = {"ids": [str(i) for i in range(1, 101)]}


def planned(gateway: Gateway, mode: str, query: str = ALL_SOURCES, **variables: Any) -> Any:
    response = gateway.http.post(
        "/graphql",
        json={"query": query, "variables": variables or HUNDRED},
        headers={"X-Query-Plan": mode},
    )
    assert response.status_code == 200, response.text
    return response.json()


def calls(plan: dict[str, Any]) -> Counter[tuple[str, str, str, int, tuple[str, ...] | None]]:
    return Counter(
        (
            c["source"],
            c["method"],
            c["path"],
            c["batchSize"],
            tuple(c["sparseFields"]) if c["sparseFields"] is not None else None,
        )
        for c in plan["calls"]
    )


def sandbox_calls(sandbox: Sandbox) -> Counter[tuple[str, str, str]]:
    return Counter(
        (api, event["method"], event["path"])
        for api, stats in sandbox.stats().items()
        for event in stats["events"]
    )


def test_a_dry_run_lists_exactly_the_calls_the_real_run_makes(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    dry = planned(gateway, "dry-run")
    assert sum(sandbox.calls().values()) == 0
    assert dry["data"] is None
    assert "errors" not in dry
    dry_plan = dry["extensions"]["queryPlan"]
    assert dry_plan["dryRun"] is True

    real = planned(gateway, "true")
    assert "errors" not in real
    assert len(real["data"]["customers"]) == 100
    real_plan = real["extensions"]["queryPlan"]
    assert real_plan["dryRun"] is False
    assert calls(dry_plan) == calls(real_plan)
    # And those are the calls the sandbox saw, one for one.
    seen = sandbox_calls(sandbox)
    assert seen == Counter(
        (c["source"], c["method"], f"/{c['source']}{c['path']}") for c in real_plan["calls"]
    )
    assert {s: p["calls"] for s, p in real_plan["sources"].items()} == sandbox.calls()
    # 100 customers in batches of each upstream's largest size, with sparse fields.
    sources = dry_plan["sources"]
    assert sources["crm"]["batches"] == [100]
    assert sorted(sources["orders"]["batches"]) == [50, 50]
    assert sources["loyalty"]["batches"] == [100]
    assert sources["preferences"]["batches"] == [100]
    # The support desk's GraphQL API is planned like the REST ones.
    assert sum(sources["support"]["batches"]) == 100
    assert "email" in sources["crm"]["sparseFields"]
    assert "status" in sources["orders"]["sparseFields"]
    cost = dry_plan["cost"]
    assert cost == real_plan["cost"]
    assert 0 < cost["value"] <= cost["limit"]


def test_a_plan_counts_cache_hits_and_misses(sandbox: Sandbox, start_gateway: StartGateway) -> None:
    query = '{ customers(ids: ["1", "2", "3"]) { name loyalty { tier } } }'
    with start_gateway(sandbox_settings(sandbox.url)) as url:
        gateway = Gateway(url)
        gateway.query('{ customers(ids: ["1", "2"]) { name loyalty { tier } } }')
        plan = planned(gateway, "dry-run", query, unused=None)["extensions"]["queryPlan"]
    assert plan["sources"]["crm"]["cache"] == {"hits": 2, "stale": 0, "misses": 1}
    assert plan["sources"]["loyalty"]["cache"] == {"hits": 2, "stale": 0, "misses": 1}
    assert plan["sources"]["crm"]["batches"] == [1]
    assert "orders" not in plan["sources"]
    # The dry run stored nothing: the third customer is still a miss for a real run.
    assert sandbox.calls()["crm"] == 1


def test_a_kept_answer_is_not_served_for_a_plan(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    query = '{ customers(ids: ["4", "5"]) { name } }'
    settings = sandbox_settings(sandbox.url, CG_RESPONSE_CACHE__ENABLED="true")
    with start_gateway(settings) as url:
        gateway = Gateway(url)
        gateway.query(query)
        kept = gateway.http.post("/graphql", json={"query": query})
        assert "hit" in kept.headers["cache-status"]
        plan = planned(gateway, "true", query, unused=None)["extensions"]["queryPlan"]
    # The plan is of a real run: the entity cache answered, and said so.
    assert plan["sources"]["crm"]["cache"] == {"hits": 2, "stale": 0, "misses": 0}
    assert sandbox.calls()["crm"] == 1


def test_a_dry_run_never_writes(gateway: Gateway, sandbox: Sandbox) -> None:
    response = gateway.http.post(
        "/graphql",
        json={
            "query": 'mutation { updateProfile(customerId: "9021", input: {city: "Gent"}) '
            "{ city } }"
        },
        headers={"X-Query-Plan": "dry-run"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert sum(sandbox.calls().values()) == 0


def test_an_unknown_plan_mode_is_refused(gateway: Gateway, sandbox: Sandbox) -> None:
    response = gateway.http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"X-Query-Plan": "yes please"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_without_the_header_there_is_no_plan(gateway: Gateway, sandbox: Sandbox) -> None:
    body = gateway.query(ALL_SOURCES, HUNDRED)
    assert "queryPlan" not in body.get("extensions", {})


@pytest.fixture(scope="module")
def production(sandbox_server: Sandbox) -> Iterator[httpx.Client]:
    settings = sandbox_settings(sandbox_server.url, **auth_env())
    with run_in_thread(create_app(settings, clock=lambda: NOW)) as url:
        yield httpx.Client(base_url=url, timeout=10)


def test_production_plans_only_for_the_configured_scope(
    production: httpx.Client, sandbox: Sandbox
) -> None:
    request = {"query": '{ customer(id: "3") { name } }'}
    refused = production.post(
        "/graphql", json=request, headers={"X-API-Key": PARTNER_KEY, "X-Query-Plan": "true"}
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    staff = bearer(hs256(staff_claims("customers:read schema:read")))
    allowed = production.post(
        "/graphql", json=request, headers={**staff, "X-Query-Plan": "dry-run"}
    )
    assert allowed.status_code == 200
    assert allowed.json()["extensions"]["queryPlan"]["sources"]["crm"]["batches"] == [1]
    assert sum(sandbox.calls().values()) == 0
