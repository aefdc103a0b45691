"""Invalidation: a write drops what it changed, every field set, in every replica."""

from __future__ import annotations

from contextlib import ExitStack

from tests.conftest import ManualClock, Sandbox, replica, sandbox_settings
from tests.test_cache import ids, metric
from tests.test_cache_redis import shared_settings
from tests.test_stale import wait_for


def test_invalidation_drops_every_field_set_of_those_customers_only(sandbox: Sandbox) -> None:
    emails = "query ($ids: [ID!]!) { customers(ids: $ids) { email } }"
    firsts = "query ($ids: [ID!]!) { customers(ids: $ids) { firstName } }"
    with replica(sandbox_settings(sandbox.url), ManualClock()) as gateway:
        gateway.query(emails, {"ids": ids(1, 5)})
        gateway.query(firsts, {"ids": ids(1, 5)})
        sandbox.reset()
        gateway.http.post("/_invalidate", json={"source": "crm", "ids": ["3"]}).raise_for_status()
        gateway.query(emails, {"ids": ids(1, 5)})
        gateway.query(firsts, {"ids": ids(1, 5)})
        assert sandbox.stats()["crm"]["ids"] == [["3"], ["3"]]
        assert metric(gateway, "customer_graph_cache_invalidations_total", origin="local") == 1


def test_invalidation_through_one_replica_is_seen_by_the_other(
    sandbox: Sandbox, redis_prefix: str
) -> None:
    clock = ManualClock()
    settings = shared_settings(sandbox, redis_prefix)
    query = "query ($ids: [ID!]!) { customers(ids: $ids) { id email loyalty { tier } } }"
    with ExitStack() as stack:
        one = stack.enter_context(replica(settings, clock))
        two = stack.enter_context(replica(settings, clock))
        one.query(query, {"ids": ids(1, 10)})
        two.query(query, {"ids": ids(1, 10)})
        sandbox.reset()
        one.http.post("/_invalidate", json={"source": "crm", "ids": ["3", "4"]}).raise_for_status()
        wait_for(
            lambda: metric(two, "customer_graph_cache_invalidations_total", origin="remote") == 2
        )
        two.query(query, {"ids": ids(1, 10)})
        assert sandbox.stats()["crm"]["ids"] == [["3", "4"]]
        assert sandbox.calls()["loyalty"] == 0
        # The refetch through the second replica refilled Redis for the first.
        one.query(query, {"ids": ids(1, 10)})
        assert sandbox.calls()["crm"] == 1
