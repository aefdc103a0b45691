"""Outbound limits per source: a quota whose callers queue in order, and a concurrency cap."""

from __future__ import annotations

import asyncio
import json

import pytest

from datasources.config import RateLimit
from datasources.resilience import RateLimiter
from tests.conftest import FakeTimer, Gateway, Sandbox, StartGateway, uncached_settings

EMAILS = "query ($ids: [ID!]!) { customers(ids: $ids) { id email } }"


def one_id_per_crm_call(**env: str) -> dict[str, str]:
    return {"CG_SOURCES__CRM__BATCH__MAX_BATCH_SIZE": "1", **env}


def test_quota_makes_calls_wait_their_turn_instead_of_failing(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    quota = json.dumps({"per_second": 10, "burst": 2})
    settings = uncached_settings(
        sandbox.url, **one_id_per_crm_call(CG_SOURCES__CRM__RATE_LIMIT=quota)
    )
    ids = [str(i) for i in range(1, 7)]
    with start_gateway(settings, timer=timer) as url:
        body = Gateway(url).query(EMAILS, {"ids": ids})
    assert "errors" not in body
    assert [c["id"] for c in body["data"]["customers"]] == ids
    assert sandbox.calls()["crm"] == 6
    # Two back to back, then one every 100 ms.
    assert timer.sleeps == pytest.approx([0.1] * 4)


def test_call_whose_turn_comes_after_the_deadline_is_refused_at_once(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    quota = json.dumps({"per_second": 1, "burst": 1})
    settings = uncached_settings(
        sandbox.url, CG_SOURCES__CRM__RATE_LIMIT=quota, CG_SERVER__REQUEST_DEADLINE="0.5"
    )
    query = '{ customer(id: "3") { email } }'
    with start_gateway(settings, timer=timer) as url:
        gateway = Gateway(url)
        first = gateway.query(query)
        # The next token comes in 1 s, after this request's 0.5 s deadline.
        second = gateway.query(query)
        timer.advance(1)
        third = gateway.query(query)
        metrics = gateway.http.get("/metrics").text
    assert "errors" not in first
    assert "errors" not in third
    assert second["data"]["customer"]["email"] is None
    assert [e["extensions"] for e in second["errors"]] == [
        {"code": "UPSTREAM_RATE_LIMITED", "source": "crm"}
    ]
    assert sandbox.calls()["crm"] == 2
    assert timer.sleeps == []
    assert (
        'customer_graph_upstream_rejected_total{reason="UPSTREAM_RATE_LIMITED",source="crm"} 1.0'
        in metrics
    )


def test_no_more_calls_in_flight_than_max_concurrency(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    settings = uncached_settings(
        sandbox.url, **one_id_per_crm_call(CG_SOURCES__CRM__MAX_CONCURRENCY="2")
    )
    sandbox.set_faults(crm={"latency_ms": 30})
    with start_gateway(settings) as url:
        body = Gateway(url).query(EMAILS, {"ids": [str(i) for i in range(1, 7)]})
    assert "errors" not in body
    events = sandbox.stats()["crm"]["events"]
    assert len(events) == 6
    changes = sorted([(e["arrived"], 1) for e in events] + [(e["answered"], -1) for e in events])
    in_flight, peak = 0, 0
    for _, change in changes:
        in_flight += change
        peak = max(peak, in_flight)
    assert peak == 2


class HeldTimer(FakeTimer):
    """Sleeps last until the test lets them end."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeping = asyncio.Event()
        self.wake = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.sleeping.set()
        await self.wake.wait()
        self.time += seconds


def test_quota_serves_waiters_first_come_first_served() -> None:
    async def scenario() -> list[int]:
        limiter = RateLimiter(RateLimit(per_second=10, burst=1), FakeTimer())
        served: list[int] = []

        async def take(n: int) -> None:
            await limiter.acquire()
            served.append(n)

        await asyncio.gather(*(take(n) for n in range(8)))
        return served

    assert asyncio.run(scenario()) == list(range(8))


def test_waiter_that_gives_up_leaves_the_queue_without_a_token() -> None:
    async def scenario() -> tuple[list[str], list[float]]:
        timer = HeldTimer()
        limiter = RateLimiter(RateLimit(per_second=1, burst=1), timer)
        served: list[str] = []

        async def take(name: str) -> None:
            await limiter.acquire()
            served.append(name)

        await take("first")
        impatient = asyncio.create_task(take("impatient"))
        patient = asyncio.create_task(take("patient"))
        await timer.sleeping.wait()
        impatient.cancel()
        timer.sleeping.clear()
        await timer.sleeping.wait()
        timer.wake.set()
        await patient
        return served, timer.sleeps

    served, sleeps = asyncio.run(scenario())
    assert served == ["first", "patient"]
    # The patient waiter waited one token's time, not two.
    assert sleeps == [1.0, 1.0]
