"""A Redis that refuses, hangs or comes back: requests never wait on it more than once, and
its state changes are logged once each, with a metric (core/redis_health.py)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
from structlog.testing import capture_logs

from gateway.settings import Settings
from tests.conftest import FakeTimer, Gateway, Sandbox, sandbox_settings
from tests.redis_standin import redis_stand_in, refused_redis_url
from tests.test_cache import metric
from tests.test_stale import wait_for

StartGateway = Callable[..., AbstractContextManager[str]]

QUERY = {"query": '{ customer(id: "3") { id name loyalty { tier } } }'}
# Long enough that one wait per request would stand out from any scheduling noise.
COMMAND_TIMEOUT = 1.0
REQUESTS = 30


def every_redis_use_at(sandbox: Sandbox, url: str, prefix: str = "cg-hardening:") -> Settings:
    """Rate limits, persisted queries, the entity cache and the change feed, all on ``url``."""
    return sandbox_settings(
        sandbox.url,
        CG_LIMITS__RATE__STORAGE_URL=url,
        CG_LIMITS__RATE__ANONYMOUS="100000/minute",
        CG_LIMITS__RATE__KEY_PREFIX=prefix,
        CG_CACHE__REDIS_URL=url,
        CG_CACHE__REDIS_PREFIX=prefix,
        CG_APQ__STORE="redis",
        CG_REDIS__COMMAND_TIMEOUT=str(COMMAND_TIMEOUT),
        CG_REDIS__CONNECT_TIMEOUT=str(COMMAND_TIMEOUT),
    )


def latencies(url: str, count: int) -> list[float]:
    with httpx.Client(base_url=url, timeout=30) as http:
        seconds = []
        for _ in range(count):
            started = time.perf_counter()
            response = http.post("/graphql", json=QUERY)
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            assert response.json()["data"]["customer"]["id"] == "3"
    return seconds


def state_changes(logs: list[dict[str, Any]], redis: str) -> list[str]:
    return [
        e["event"]
        for e in logs
        if e.get("redis") == redis and e["log_level"] == "warning" and "redis" in e["event"]
    ]


def label(url: str) -> str:
    return url.removeprefix("redis://")


def test_a_redis_that_never_answers_costs_what_a_refused_one_costs(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    refused = refused_redis_url()
    with start_gateway(every_redis_use_at(sandbox, refused)) as url:
        refused_p50 = statistics.median(latencies(url, REQUESTS))
    with (
        redis_stand_in() as hanging,
        capture_logs() as logs,
        start_gateway(every_redis_use_at(sandbox, hanging.url)) as url,
    ):
        hanging_p50 = statistics.median(latencies(url, REQUESTS))
        gateway = Gateway(url)
        downs = metric(
            gateway,
            "customer_graph_redis_state_changes_total",
            redis=label(hanging.url),
            state="down",
        )
        up = metric(gateway, "customer_graph_redis_up", redis=label(hanging.url))
    # Before, each request waited for the limiter's Redis: a second per request here. A coarse
    # bound only; docs/security.md has the measured numbers.
    assert hanging_p50 < refused_p50 + COMMAND_TIMEOUT / 5, (hanging_p50, refused_p50)
    assert state_changes(logs, label(hanging.url)) == [
        "redis unavailable; its users fall back without it until it answers again"
    ]
    assert (downs, up) == (1, 0)


def test_redis_that_hangs_and_comes_back_is_logged_once_each_way(
    sandbox: Sandbox, start_gateway: StartGateway, redis_prefix: str
) -> None:
    timer = FakeTimer()
    with redis_stand_in(("127.0.0.1", 6379)) as stand_in:
        settings = every_redis_use_at(sandbox, stand_in.url, redis_prefix)
        redis = label(stand_in.url)
        with capture_logs() as logs, start_gateway(settings, timer=timer) as url:
            gateway = Gateway(url)
            latencies(url, 3)
            assert metric(gateway, "customer_graph_redis_up", redis=redis) == 1

            stand_in.hang()
            latencies(url, 10)
            assert metric(gateway, "customer_graph_redis_up", redis=redis) == 0
            skipped = metric(gateway, "customer_graph_redis_skipped_total", redis=redis)
            assert skipped >= 9

            # Nothing is asked of it until the back-off has passed, then a probe is.
            stand_in.relay()
            latencies(url, 1)
            assert metric(gateway, "customer_graph_redis_up", redis=redis) == 0
            timer.advance(1.0)
            latencies(url, 1)
            wait_for(lambda: metric(gateway, "customer_graph_redis_up", redis=redis) == 1)

            before = metric(gateway, "customer_graph_redis_skipped_total", redis=redis)
            latencies(url, 5)
            assert metric(gateway, "customer_graph_redis_skipped_total", redis=redis) == before
            changes = [
                metric(gateway, "customer_graph_redis_state_changes_total", redis=redis, state=s)
                for s in ("down", "up")
            ]
    assert state_changes(logs, redis) == [
        "redis unavailable; its users fall back without it until it answers again",
        "redis available again",
    ]
    assert changes == [1, 1]
