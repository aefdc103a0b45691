"""The replica bus on the real Redis: a replica cut off from Redis while another one learns of
changes catches up when it is back, from where it left the stream, and serves nothing stale;
one away for longer than the stream keeps drops its local cache and says so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from structlog.testing import capture_logs

from tests.conftest import REDIS_URL, Gateway, ManualClock, Sandbox, redis_keyspace, replica
from tests.conftest import sandbox_settings as settings_for
from tests.graphql_ws import socket
from tests.notices import notice, post_notice, signed, webhook_env
from tests.redis_standin import RedisStandIn, redis_stand_in
from tests.test_cache import metric
from tests.test_stale import wait_for
from tests.test_subscriptions import move, subscribed

# Customers no other test module reads or changes.
MOVED, KEPT = "9411", "9412"
CITY = "query ($id: ID!) { customer(id: $id) { id city } }"
CHANGES = """subscription ($ids: [ID!]) {
  customerChanged(ids: $ids) { customerId customer { city } }
}"""


@dataclass
class Pair:
    """Two replicas on one Redis: ``one`` directly, ``two`` through a stand-in that can cut
    it off."""

    one: Gateway
    two: Gateway
    link: RedisStandIn
    stream: str
    clock: ManualClock

    def city(self, gateway: Gateway, customer_id: str) -> Any:
        return gateway.query(CITY, {"id": customer_id})["data"]["customer"]["city"]

    def cut(self) -> None:
        self.link.cut()
        wait_for(lambda: metric(self.two, "customer_graph_bus_connected") == 0)

    def notify(self, customer_id: str) -> None:
        """Tell ``one`` (not ``two``) that the customer changed in the CRM."""
        body = notice([customer_id])
        response = post_notice(self.one.http, "crm", body, signed(body, self.clock()))
        assert response.status_code == 200, response.text


@contextmanager
def pair(sandbox: Sandbox, prefix: str) -> Iterator[Pair]:
    clock = ManualClock()
    env = {
        "CG_CACHE__REDIS_PREFIX": prefix,
        "CG_REDIS__COMMAND_TIMEOUT": "2",
        "CG_REDIS__CONNECT_TIMEOUT": "2",
        # Probe a lost Redis often, so the test does not wait on the back-off.
        "CG_REDIS__RETRY_AFTER": "0.1",
        "CG_REDIS__MAX_RETRY_AFTER": "0.2",
        **webhook_env(),
    }
    with ExitStack() as stack:
        link = stack.enter_context(redis_stand_in(("127.0.0.1", 6379)))
        direct = settings_for(sandbox.url, CG_CACHE__REDIS_URL=REDIS_URL, **env)
        linked = settings_for(sandbox.url, CG_CACHE__REDIS_URL=link.url, **env)
        one = stack.enter_context(replica(direct, clock))
        two = stack.enter_context(replica(linked, clock))
        yield Pair(one, two, link, f"{prefix}bus", clock)


@pytest.fixture
def prefix() -> Iterator[str]:
    with redis_keyspace("cg-brokers-test") as found:
        yield found


def test_a_replica_cut_off_from_redis_catches_up_and_serves_nothing_stale(
    sandbox: Sandbox, prefix: str
) -> None:
    with pair(sandbox, prefix) as replicas, ExitStack() as stack:
        one, two = replicas.one, replicas.two
        for gateway in (one, two):
            for customer_id in (MOVED, KEPT):
                replicas.city(gateway, customer_id)
        ws = stack.enter_context(socket(two.url))
        ws.subscribe(CHANGES, {"ids": [MOVED]})
        subscribed(two, 1)
        before = replicas.city(two, MOVED)

        replicas.cut()
        move(sandbox, MOVED, "Ghent")
        replicas.notify(MOVED)
        # Cut off, the second replica cannot know yet: it serves what it holds.
        assert replicas.city(two, MOVED) == before
        sandbox.reset()

        l2_hits = metric(two, "customer_graph_cache_l2_hits_total", source="crm")
        replicas.link.relay()
        wait_for(lambda: metric(two, "customer_graph_bus_resumed_total") == 1)
        assert replicas.city(two, MOVED) == "Ghent"
        assert ws.next_data()["customerChanged"] == {
            "customerId": MOVED,
            "customer": {"city": "Ghent"},
        }
        # It replayed what it missed instead of dropping everything: the customer nobody
        # changed is still served from its own cache.
        assert replicas.city(two, KEPT) is not None
        assert sandbox.stats()["crm"]["ids"] == [[MOVED]]
        assert metric(two, "customer_graph_cache_l2_hits_total", source="crm") == l2_hits
        assert metric(two, "customer_graph_bus_received_total", kind="invalidate") == 1
        assert metric(two, "customer_graph_bus_received_total", kind="changes") == 1
        assert metric(two, "customer_graph_bus_gaps_total", reason="trimmed") == 0
        assert metric(two, "customer_graph_change_visible_seconds_count") == 1


def test_a_replica_away_longer_than_the_stream_keeps_drops_its_cache(
    sandbox: Sandbox, prefix: str
) -> None:
    with pair(sandbox, prefix) as replicas, ExitStack() as stack:
        one, two = replicas.one, replicas.two
        for customer_id in (MOVED, KEPT):
            replicas.city(two, customer_id)
        ws = stack.enter_context(socket(two.url))
        ws.subscribe(CHANGES, {"ids": [MOVED]})
        subscribed(two, 1)

        replicas.cut()
        move(sandbox, MOVED, "Namur")
        replicas.notify(MOVED)
        # What the second replica had not read yet is trimmed away, as a retention that
        # another replica's traffic overran would.
        client = redis.Redis.from_url(REDIS_URL)
        client.xtrim(replicas.stream, maxlen=0, approximate=False)
        client.close()
        sandbox.reset()

        with capture_logs() as logs:
            replicas.link.relay()
            wait_for(lambda: metric(two, "customer_graph_bus_gaps_total", reason="trimmed") == 1)
        assert [e["reason"] for e in logs if e["event"].startswith("bus messages missed")] == [
            "trimmed"
        ]
        l2_hits = metric(two, "customer_graph_cache_l2_hits_total", source="crm")
        assert replicas.city(two, MOVED) == "Namur"
        replicas.city(two, KEPT)
        # Both local copies were dropped, the unchanged one too (it cannot know which
        # changed): the unchanged one comes from the shared tier, the changed one afresh.
        assert sandbox.stats()["crm"]["ids"] == [[MOVED]]
        assert metric(two, "customer_graph_cache_l2_hits_total", source="crm") == l2_hits + 1
        # Its subscriber is told it missed changes, rather than left to believe it did not.
        errors = ws.receive()["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["CHANGES_MISSED"]
        assert metric(one, "customer_graph_bus_gaps_total", reason="trimmed") == 0
