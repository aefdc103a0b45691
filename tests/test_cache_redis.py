"""The Redis tier shared by gateway replicas, and life without it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from typing import Any

from gateway.settings import Settings
from tests.conftest import (
    REDIS_URL,
    Gateway,
    ManualClock,
    Sandbox,
    replica,
    sandbox_settings,
)
from tests.test_cache import ALL_SOURCES, NO_CALLS, ONE_CALL_EACH, ids, metric

StartGateway = Callable[..., AbstractContextManager[str]]


def shared_settings(sandbox: Sandbox, prefix: str, **env: str) -> Settings:
    # A generous deadline: with a frozen clock, one slow operation would skip Redis for good.
    return sandbox_settings(
        sandbox.url,
        CG_CACHE__REDIS_URL=REDIS_URL,
        CG_CACHE__REDIS_PREFIX=prefix,
        CG_REDIS__COMMAND_TIMEOUT="2",
        CG_REDIS__CONNECT_TIMEOUT="2",
        **env,
    )


def test_fill_through_one_replica_is_a_hit_on_the_other(
    sandbox: Sandbox, redis_prefix: str
) -> None:
    clock = ManualClock()
    settings = shared_settings(sandbox, redis_prefix)
    with ExitStack() as stack:
        one = stack.enter_context(replica(settings, clock))
        two = stack.enter_context(replica(settings, clock))
        first = one.query(ALL_SOURCES, {"ids": ids(1, 30)})
        assert sandbox.calls() == ONE_CALL_EACH
        sandbox.reset()
        assert two.query(ALL_SOURCES, {"ids": ids(1, 30)}) == first
        assert sandbox.calls() == NO_CALLS
        assert metric(two, "customer_graph_cache_l2_hits_total", source="crm") == 30


def test_entries_in_redis_follow_the_injected_clock(sandbox: Sandbox, redis_prefix: str) -> None:
    clock = ManualClock()
    settings = shared_settings(sandbox, redis_prefix)
    query = '{ customer(id: "5") { email } }'
    with ExitStack() as stack:
        one = stack.enter_context(replica(settings, clock))
        two = stack.enter_context(replica(settings, clock))
        one.query(query)
        clock.advance(60)
        two.query(query)
        assert sandbox.calls()["crm"] == 2


def test_redis_outage_degrades_to_local_cache_and_upstreams(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # Nothing listens on port 1: every Redis operation fails at once.
    settings = sandbox_settings(sandbox.url, CG_CACHE__REDIS_URL="redis://127.0.0.1:1/0")
    with start_gateway(settings, clock=ManualClock()) as url:
        gateway = Gateway(url)
        first: dict[str, Any] = gateway.query(ALL_SOURCES, {"ids": ids(1, 10)})
        assert "errors" not in first
        assert sandbox.calls() == ONE_CALL_EACH
        sandbox.reset()
        assert gateway.query(ALL_SOURCES, {"ids": ids(1, 10)}) == first
        assert sandbox.calls() == NO_CALLS
        # Its first failure marked it down for every user: later reads were not even tried.
        assert metric(gateway, "customer_graph_redis_up", redis="127.0.0.1:1/0") == 0
        assert metric(gateway, "customer_graph_redis_skipped_total", redis="127.0.0.1:1/0") >= 1
