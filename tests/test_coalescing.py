"""Concurrent requests for the same records share one upstream call per source, whether the
Redis tier is on or off: a Redis lookup that answers after another request's fetch landed
finds what that fetch stored, and never starts a second one. (Without Redis:
tests/test_cache.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import redis

from tests.conftest import (
    REDIS_URL,
    Gateway,
    ManualClock,
    Sandbox,
    StartGateway,
    replica,
    sandbox_settings,
)
from tests.redis_proxy import holding_proxy
from tests.test_cache import ALL_SOURCES, ONE_CALL_EACH, ids

RUNS = 20
CONCURRENT = 50
CUSTOMERS_PER_RUN = 20


async def _concurrent(url: str, customers: list[str]) -> list[Any]:
    payload = {"query": ALL_SOURCES, "variables": {"ids": customers}}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        responses = await asyncio.gather(
            *(client.post("/graphql", json=payload) for _ in range(CONCURRENT))
        )
    return [r.json() for r in responses]


def _cold_runs(sandbox: Sandbox, url: str, stored: Callable[[list[str]], int]) -> None:
    for run in range(RUNS):
        # Customers no earlier run asked for: cold in every tier.
        first = 1000 + run * CUSTOMERS_PER_RUN
        customers = ids(first, first + CUSTOMERS_PER_RUN - 1)
        sandbox.reset()
        bodies = asyncio.run(_concurrent(url, customers))
        assert sandbox.calls() == ONE_CALL_EACH, f"run {run}"
        assert "errors" not in bodies[0]
        assert [c["id"] for c in bodies[0]["data"]["customers"]] == customers
        assert all(body == bodies[0] for body in bodies)
        # The run went through the Redis tier: each customer of each source is there.
        assert stored(customers) == len(customers) * len(ONE_CALL_EACH), f"run {run}"


def test_fifty_concurrent_cold_queries_make_one_call_per_source_with_redis(
    sandbox: Sandbox, start_gateway: StartGateway, redis_prefix: str
) -> None:
    settings = sandbox_settings(
        sandbox.url,
        CG_CACHE__REDIS_URL=REDIS_URL,
        CG_CACHE__REDIS_PREFIX=redis_prefix,
        # A generous deadline: with a frozen clock, one slow operation would skip Redis for
        # good, and the runs would no longer be about Redis.
        CG_REDIS__COMMAND_TIMEOUT="30",
        CG_REDIS__CONNECT_TIMEOUT="30",
    )
    client = redis.Redis.from_url(REDIS_URL)

    def stored(customers: list[str]) -> int:
        # Keys end with the customer id: {prefix}e:{source}:{config}:{id}.
        wanted = set(customers)
        keys = client.scan_iter(match=f"{redis_prefix}e:*", count=1000)
        return sum(1 for key in keys if key.decode().rsplit(":", 1)[1] in wanted)

    try:
        with start_gateway(settings, clock=ManualClock()) as url:
            _cold_runs(sandbox, url, stored)
            # Not one Redis operation failed: had one, the tier would have been skipped.
            metrics = Gateway(url).http.get("/metrics").text.splitlines()
            failed = "customer_graph_cache_redis_errors_total{"
            assert not [m for m in metrics if m.startswith(failed)]
    finally:
        client.close()


async def _until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what} did not happen within 20 s")


def test_a_redis_miss_answered_after_the_fetch_landed_starts_no_second_fetch(
    sandbox: Sandbox, start_gateway: StartGateway, redis_prefix: str
) -> None:
    # The order that made a second call: request two asks Redis while request one's fetches
    # are upstream; the fetches land and are stored; only then does Redis answer request
    # two, with the miss it read before the store.
    sandbox.set_faults(**{api: {"latency_ms": 3000} for api in ONE_CALL_EACH})
    payload = {"query": ALL_SOURCES, "variables": {"ids": ids(900, 919)}}
    with holding_proxy() as proxy:
        settings = sandbox_settings(
            sandbox.url,
            CG_CACHE__REDIS_URL=f"redis://127.0.0.1:{proxy.port}/0",
            CG_CACHE__REDIS_PREFIX=redis_prefix,
            CG_REDIS__COMMAND_TIMEOUT="60",
            CG_REDIS__CONNECT_TIMEOUT="60",
        )
        with start_gateway(settings, clock=ManualClock()) as url:

            async def race() -> tuple[Any, Any]:
                async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                    one = asyncio.create_task(client.post("/graphql", json=payload))
                    await _until(lambda: sandbox.calls() == ONE_CALL_EACH, "the first fetches")
                    proxy.arm()
                    two = asyncio.create_task(client.post("/graphql", json=payload))
                    await _until(lambda: proxy.held == len(ONE_CALL_EACH), "the Redis lookups")
                    proxy.disarm()
                    first = (await one).json()
                    proxy.release()
                    second = (await two).json()
                return first, second

            first, second = asyncio.run(race())
    assert sandbox.calls() == ONE_CALL_EACH
    assert "errors" not in first
    assert second == first


def test_an_invalidation_while_redis_answers_is_not_undone_by_the_answer(
    sandbox: Sandbox, redis_prefix: str
) -> None:
    # Replica one fills Redis; the CRM record then changes. Replica two asks Redis for it,
    # and is invalidated (as a write or a webhook does) before Redis answers with the copy
    # it read before the deletion: that copy must be neither served nor kept.
    query = '{ customer(id: "9100") { city } }'
    clock = ManualClock()
    with holding_proxy() as proxy:
        settings = sandbox_settings(
            sandbox.url,
            CG_CACHE__REDIS_URL=f"redis://127.0.0.1:{proxy.port}/0",
            CG_CACHE__REDIS_PREFIX=redis_prefix,
            CG_REDIS__COMMAND_TIMEOUT="60",
            CG_REDIS__CONNECT_TIMEOUT="60",
        )
        with replica(settings, clock) as one, replica(settings, clock) as two:
            before = one.query(query)["data"]["customer"]["city"]
            sandbox.http.patch("/crm/customers/9100", json={"city": "Elsewhere"})
            # A connection of replica two's pool that is already open, so the lookup's
            # command reaches Redis at once (only the answer is held), before the deletion.
            two.query('{ customer(id: "9101") { city } }')
            sandbox.reset()

            async def invalidated_meanwhile() -> Any:
                async with httpx.AsyncClient(base_url=two.url, timeout=60) as client:
                    proxy.arm()
                    asked = asyncio.create_task(client.post("/graphql", json={"query": query}))
                    await _until(lambda: proxy.held == 1, "the Redis lookup")
                    proxy.disarm()
                    dropped = {"source": "crm", "ids": ["9100"]}
                    (await client.post("/_invalidate", json=dropped)).raise_for_status()
                    proxy.release()
                    return (await asked).json()

            answer = asyncio.run(invalidated_meanwhile())
            assert before != "Elsewhere"
            assert answer == {"data": {"customer": {"city": "Elsewhere"}}}
            assert sandbox.calls()["crm"] == 1
            # Nor was the old copy kept: the next query is served from the fresh one.
            assert two.query(query) == answer
            assert sandbox.calls()["crm"] == 1
