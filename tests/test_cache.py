"""The per-process entity cache: repeated reads stay off the upstreams, until their ttl."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx

from tests.conftest import Gateway, ManualClock, Sandbox, sandbox_settings

ALL_SOURCES = """
query ($ids: [ID!]!) {
  customers(ids: $ids) {
    id name email
    orders(first: 3) { totalCount edges { node { id total { amount currency } } } }
    loyalty { tier points }
    preferences { channel optIn }
  }
}
"""

NO_CALLS = {"crm": 0, "orders": 0, "loyalty": 0, "preferences": 0}
ONE_CALL_EACH = {"crm": 1, "orders": 1, "loyalty": 1, "preferences": 1}

StartGateway = Callable[..., AbstractContextManager[str]]


def ids(first: int, last: int) -> list[str]:
    return [str(i) for i in range(first, last + 1)]


def metric(gateway: Gateway, name: str, **labels: str) -> float:
    """The value of one sample on the gateway's /metrics, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in gateway.http.get("/metrics").text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_same_query_twice_makes_no_second_upstream_call(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    with start_gateway(sandbox_settings(sandbox.url), clock=ManualClock()) as url:
        gateway = Gateway(url)
        first = gateway.query(ALL_SOURCES, {"ids": ids(1, 10)})
        assert "errors" not in first
        assert sandbox.calls() == ONE_CALL_EACH
        sandbox.reset()
        assert gateway.query(ALL_SOURCES, {"ids": ids(1, 10)}) == first
        assert sandbox.calls() == NO_CALLS


def test_each_source_is_fetched_again_after_its_ttl(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    # The shipped ttls: crm 60 s, orders 30 s, loyalty and preferences 300 s.
    with start_gateway(sandbox_settings(sandbox.url), clock=clock) as url:
        gateway = Gateway(url)
        first = gateway.query(ALL_SOURCES, {"ids": ids(1, 10)})
        sandbox.reset()
        clock.advance(29)
        gateway.query(ALL_SOURCES, {"ids": ids(1, 10)})
        assert sandbox.calls() == NO_CALLS
        clock.advance(1)
        assert gateway.query(ALL_SOURCES, {"ids": ids(1, 10)}) == first
        assert sandbox.calls() == {**NO_CALLS, "orders": 1}
        clock.advance(30)
        gateway.query(ALL_SOURCES, {"ids": ids(1, 10)})
        assert sandbox.calls() == {**NO_CALLS, "crm": 1, "orders": 2}
        clock.advance(240)
        gateway.query(ALL_SOURCES, {"ids": ids(1, 10)})
        assert sandbox.calls() == {"crm": 2, "orders": 3, "loyalty": 1, "preferences": 1}


def test_fifty_concurrent_identical_queries_make_one_call_per_source(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # Slow upstreams keep the first fetch in flight while the other requests arrive.
    sandbox.set_faults(**{api: {"latency_ms": 500} for api in ONE_CALL_EACH})
    with start_gateway(sandbox_settings(sandbox.url), clock=ManualClock()) as url:

        async def fifty() -> list[Any]:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                payload = {"query": ALL_SOURCES, "variables": {"ids": ids(1, 20)}}
                responses = await asyncio.gather(
                    *(client.post("/graphql", json=payload) for _ in range(50))
                )
            return [r.json() for r in responses]

        bodies = asyncio.run(fifty())
        assert sandbox.calls() == ONE_CALL_EACH
        assert "errors" not in bodies[0]
        assert all(body == bodies[0] for body in bodies)
        assert metric(Gateway(url), "customer_graph_cache_coalesced_total", source="crm") > 0


def test_hundred_customers_with_sixty_cached_fetch_only_the_forty_missing(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    with start_gateway(sandbox_settings(sandbox.url), clock=ManualClock()) as url:
        gateway = Gateway(url)
        gateway.query(ALL_SOURCES, {"ids": ids(1, 60)})
        sandbox.reset()
        body = gateway.query(ALL_SOURCES, {"ids": ids(1, 100)})
        assert "errors" not in body
        assert [c["id"] for c in body["data"]["customers"]] == ids(1, 100)
        stats = sandbox.stats()
        missing = ids(61, 100)
        assert stats["crm"]["ids"] == [missing]
        assert stats["orders"]["ids"] == [missing]
        assert stats["loyalty"]["ids"] == [[f"M-{int(i):06d}" for i in missing]]
        assert stats["preferences"]["ids"] == [[f"C{int(i):07d}" for i in missing]]


def test_field_sets_never_poison_each_other_and_wider_serves_narrower(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    customers = ids(1, 5)
    expected = [sandbox.data.customer(cid) for cid in customers]
    with start_gateway(sandbox_settings(sandbox.url), clock=ManualClock()) as url:
        gateway = Gateway(url)
        emails = gateway.query(
            "query ($ids: [ID!]!) { customers(ids: $ids) { email } }", {"ids": customers}
        )
        firsts = gateway.query(
            "query ($ids: [ID!]!) { customers(ids: $ids) { firstName } }", {"ids": customers}
        )
        assert [c["email"] for c in emails["data"]["customers"]] == [e.email for e in expected]
        assert [c["firstName"] for c in firsts["data"]["customers"]] == [
            e.first_name for e in expected
        ]
        assert sandbox.calls()["crm"] == 2
        both = "query ($ids: [ID!]!) { customers(ids: $ids) { email firstName city } }"
        wide = gateway.query(both, {"ids": customers})
        assert [c["city"] for c in wide["data"]["customers"]] == [e.city for e in expected]
        assert sandbox.calls()["crm"] == 3
        sandbox.reset()
        narrow = "query ($ids: [ID!]!) { customers(ids: $ids) { city } }"
        assert [
            c["city"] for c in gateway.query(narrow, {"ids": customers})["data"]["customers"]
        ] == [e.city for e in expected]
        assert sandbox.calls() == NO_CALLS


def test_unknown_customers_are_remembered_too(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    with start_gateway(sandbox_settings(sandbox.url), clock=ManualClock()) as url:
        gateway = Gateway(url)
        query = '{ customers(ids: ["3", "999999"]) { id email } }'
        assert gateway.query(query)["data"]["customers"][1] is None
        sandbox.reset()
        assert gateway.query(query)["data"]["customers"][1] is None
        assert sandbox.calls() == NO_CALLS


def test_memory_stays_at_the_entry_bound(sandbox: Sandbox, start_gateway: StartGateway) -> None:
    settings = sandbox_settings(sandbox.url, CG_CACHE__L1_MAX_ENTRIES="50")
    with start_gateway(settings, clock=ManualClock()) as url:
        gateway = Gateway(url)
        for first in range(1, 1000, 100):
            gateway.query(ALL_SOURCES, {"ids": ids(first, first + 99)})
        for source in ONE_CALL_EACH:
            assert metric(gateway, "customer_graph_cache_entries", source=source) == 50
        # The most recently used stay: the last fifty are still hits.
        sandbox.reset()
        gateway.query(ALL_SOURCES, {"ids": ids(951, 1000)})
        assert sandbox.calls() == NO_CALLS


def test_disabled_cache_always_asks_the_upstreams(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    settings = sandbox_settings(sandbox.url, CG_CACHE__ENABLED="false")
    with start_gateway(settings) as url:
        gateway = Gateway(url)
        gateway.query(ALL_SOURCES, {"ids": ids(1, 3)})
        gateway.query(ALL_SOURCES, {"ids": ids(1, 3)})
        assert sandbox.calls() == {api: 2 for api in ONE_CALL_EACH}
