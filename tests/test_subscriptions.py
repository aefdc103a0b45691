"""customerChanged over WebSocket: a signed webhook reaches the subscribers allowed to hear
it, in this replica and, through Redis, in the others, with the customer loaded afresh."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest

from core import ChangesMissed
from datasources import ChangeFeed, CustomerChanged, SourceMetrics
from datasources.config import BusConfig
from datasources.sync import ReplicaBus
from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import REDIS_URL, Gateway, ManualClock, Sandbox, sandbox_settings
from tests.graphql_ws import socket
from tests.notices import notice, post_notice, signed, webhook_env
from tests.test_cache import metric
from tests.test_stale import wait_for
from tests.tokens import NOW, auth_env, claims, hs256, staff_claims

CHANGES = """
subscription ($ids: [ID!]) {
  customerChanged(ids: $ids) { customerId source event at customer { id city loyalty { tier } } }
}
"""
CITY = "query ($id: ID!) { customer(id: $id) { id city loyalty { tier } } }"


def subscribed(gateway: Gateway, count: int) -> None:
    """Wait until the gateway holds ``count`` subscriptions: a change sent earlier is lost."""
    wait_for(lambda: metric(gateway, "customer_graph_change_subscribers") == count)


def move(sandbox: Sandbox, customer_id: str, city: str) -> None:
    """Change a customer upstream, behind the gateway's back."""
    sandbox.http.patch(f"/crm/customers/{customer_id}", json={"city": city}).raise_for_status()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def gateway(sandbox: Sandbox, clock: ManualClock) -> Iterator[Gateway]:
    """A development gateway (the caller is the anonymous developer) with the entity cache."""
    settings = sandbox_settings(sandbox.url, **webhook_env())
    with run_in_thread(create_app(settings, clock=clock)) as url:
        yield Gateway(url)


def test_subscriber_receives_the_change_with_the_customer_as_it_is_now(
    gateway: Gateway, sandbox: Sandbox, clock: ManualClock
) -> None:
    before = gateway.query(CITY, {"id": "9101"})["data"]["customer"]
    move(sandbox, "9101", "Ghent")
    assert gateway.query(CITY, {"id": "9101"})["data"]["customer"] == before  # cached
    sandbox.reset()
    with socket(gateway.url) as ws:
        ws.subscribe(CHANGES, {"ids": ["9101"]})
        subscribed(gateway, 1)
        body = notice(["9101"])
        assert post_notice(gateway.http, "crm", body, signed(body, clock())).status_code == 200
        assert ws.next_data() == {
            "customerChanged": {
                "customerId": "9101",
                "source": "crm",
                "event": "updated",
                "at": datetime.fromtimestamp(clock(), UTC).isoformat(),
                "customer": {"id": "9101", "city": "Ghent", "loyalty": before["loyalty"]},
            }
        }
    # Only what changed was fetched: the CRM record; loyalty came from the cache.
    assert sandbox.stats()["crm"]["ids"] == [["9101"]]
    assert sandbox.calls()["loyalty"] == 0


def test_one_notice_loads_all_its_customers_in_one_batch(
    gateway: Gateway, sandbox: Sandbox, clock: ManualClock
) -> None:
    with socket(gateway.url) as ws:
        ws.subscribe(CHANGES)
        subscribed(gateway, 1)
        body = notice(["11", "12", "13"])
        assert post_notice(gateway.http, "crm", body, signed(body, clock())).status_code == 200
        heard = [ws.next_data()["customerChanged"] for _ in range(3)]
    assert [c["customerId"] for c in heard] == ["11", "12", "13"]
    assert [c["customer"]["id"] for c in heard] == ["11", "12", "13"]
    assert sandbox.stats()["crm"]["ids"] == [["11", "12", "13"]]
    assert sandbox.calls()["loyalty"] == 1


def test_a_subscription_without_customer_loads_nothing(
    gateway: Gateway, sandbox: Sandbox, clock: ManualClock
) -> None:
    with socket(gateway.url) as ws:
        ws.subscribe("subscription { customerChanged { customerId event } }")
        subscribed(gateway, 1)
        body = notice(["21"], event="deleted")
        post_notice(gateway.http, "crm", body, signed(body, clock())).raise_for_status()
        assert ws.next_data() == {"customerChanged": {"customerId": "21", "event": "deleted"}}
    assert sandbox.calls() == {"crm": 0, "orders": 0, "loyalty": 0, "preferences": 0}


def test_completing_a_subscription_releases_it(gateway: Gateway) -> None:
    with socket(gateway.url) as ws:
        ws.subscribe(CHANGES, operation_id="a")
        ws.subscribe(CHANGES, operation_id="b")
        subscribed(gateway, 2)
        ws.complete("a")
        subscribed(gateway, 1)
    subscribed(gateway, 0)


def test_queries_and_mutations_go_over_http_not_the_socket(gateway: Gateway) -> None:
    with socket(gateway.url) as ws:
        ws.subscribe('{ customer(id: "1") { id } }')
        message = ws.receive()
    assert message["type"] == "error"
    assert message["payload"][0]["message"] == "queries are not allowed"


@pytest.fixture
def production(sandbox: Sandbox) -> Iterator[Gateway]:
    settings = sandbox_settings(sandbox.url, **auth_env(**webhook_env()))
    with run_in_thread(create_app(settings, clock=lambda: NOW)) as url:
        yield Gateway(url)


def consumer(customer_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {hs256(claims(customer_id))}"}


def test_consumer_hears_only_about_themselves(production: Gateway) -> None:
    with socket(production.url, consumer("31")) as ws:
        ws.subscribe(CHANGES)
        subscribed(production, 1)
        for customer_id in ("32", "31"):
            body = notice([customer_id])
            post_notice(production.http, "crm", body, signed(body, NOW)).raise_for_status()
        change = ws.next_data()["customerChanged"]
    assert change["customerId"] == "31"
    assert change["customer"]["id"] == "31"


def test_consumer_asking_about_someone_else_is_refused(production: Gateway) -> None:
    with socket(production.url, consumer("31")) as ws:
        ws.subscribe(CHANGES, {"ids": ["31", "32"]})
        message = ws.receive()
    # Refused before the stream starts: graphql-transport-ws's error message, which ends it.
    assert message["type"] == "error"
    assert [e["extensions"] for e in message["payload"]] == [
        {"code": "FORBIDDEN", "customerId": "32"}
    ]
    assert metric(production, "customer_graph_change_subscribers") == 0


def test_staff_need_customers_read_to_hear_about_everyone(production: Gateway) -> None:
    token = hs256(staff_claims("pii:read"))
    with socket(production.url, {"authorization": f"Bearer {token}"}) as ws:
        ws.subscribe(CHANGES)
        message = ws.receive()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"] == {"code": "FORBIDDEN"}


def test_staff_with_customers_read_hear_about_everyone(production: Gateway) -> None:
    token = hs256(staff_claims("customers:read"))
    with socket(production.url, {"Authorization": f"Bearer {token}"}) as ws:
        ws.subscribe(CHANGES)
        subscribed(production, 1)
        body = notice(["41"])
        post_notice(production.http, "crm", body, signed(body, NOW)).raise_for_status()
        assert ws.next_data()["customerChanged"]["customerId"] == "41"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {hs256(claims('31', exp=int(NOW) - 60))}"},
    ],
)
def test_connection_without_valid_credentials_is_closed_before_anything_runs(
    production: Gateway, payload: dict[str, str]
) -> None:
    with socket(production.url, payload, acknowledged=False) as ws:
        assert ws.close_code() == 4403
    assert metric(production, "customer_graph_change_subscribers") == 0


def test_change_sent_to_one_replica_reaches_a_subscriber_of_another(
    sandbox: Sandbox, redis_prefix: str
) -> None:
    clock = ManualClock()
    settings = sandbox_settings(
        sandbox.url,
        CG_CACHE__REDIS_URL=REDIS_URL,
        CG_CACHE__REDIS_PREFIX=redis_prefix,
        CG_REDIS__COMMAND_TIMEOUT="2",
        CG_REDIS__CONNECT_TIMEOUT="2",
        **webhook_env(),
    )
    with ExitStack() as stack:
        one = Gateway(stack.enter_context(run_in_thread(create_app(settings, clock=clock))))
        two = Gateway(stack.enter_context(run_in_thread(create_app(settings, clock=clock))))
        # Both replicas hold customer 9102 in their own cache, and Redis holds it too.
        one.query(CITY, {"id": "9102"})
        two.query(CITY, {"id": "9102"})
        move(sandbox, "9102", "Leuven")
        sandbox.reset()
        ws = stack.enter_context(socket(two.url))
        ws.subscribe(CHANGES, {"ids": ["9102"]})
        subscribed(two, 1)
        body = notice(["9102"])
        assert post_notice(one.http, "crm", body, signed(body, clock())).status_code == 200
        change = ws.next_data()["customerChanged"]
        assert change["customer"]["city"] == "Leuven"
        assert sandbox.stats()["crm"]["ids"] == [["9102"]]
        assert metric(two, "customer_graph_changes_total", origin="remote") == 1


def test_a_subscriber_that_falls_behind_gets_what_was_queued_then_changes_missed(
    sandbox: Sandbox, clock: ManualClock
) -> None:
    env = {"CG_SUBSCRIPTIONS__QUEUE_SIZE": "1", "CG_SERVER__REQUEST_DEADLINE": "0.5"}
    settings = sandbox_settings(sandbox.url, **webhook_env(**env))
    with run_in_thread(create_app(settings, clock=clock)) as url, socket(url) as ws:
        gateway = Gateway(url)
        # Loading a customer hangs until the deadline: the subscriber reads slower than
        # notices arrive.
        sandbox.set_faults(crm={"hang": True})
        ws.subscribe(CHANGES)
        subscribed(gateway, 1)
        for customer_id in ("51", "52", "53"):
            body = notice([customer_id])
            post_notice(gateway.http, "crm", body, signed(body, clock())).raise_for_status()
            if customer_id == "51":
                wait_for(lambda: sandbox.calls()["crm"] == 1)
        heard = [ws.receive() for _ in range(4)]
        subscribed(gateway, 0)
    assert [m["type"] for m in heard] == ["next", "next", "next", "complete"]
    assert [m["payload"]["data"]["customerChanged"]["customerId"] for m in heard[:2]] == [
        "51",
        "52",
    ]
    assert heard[2]["payload"]["data"] is None
    assert [e["extensions"]["code"] for e in heard[2]["payload"]["errors"]] == ["CHANGES_MISSED"]


def test_a_subscriber_that_falls_behind_is_told_it_missed_changes() -> None:
    async def scenario() -> list[str]:
        from prometheus_client import CollectorRegistry

        metrics = SourceMetrics(CollectorRegistry())
        # A bus without Redis: this process alone.
        feed = ChangeFeed(ReplicaBus(BusConfig(), "bus", None, metrics), metrics, queue_size=2)
        at = datetime.fromtimestamp(NOW, UTC)
        heard: list[str] = []
        async with feed.subscribe(["1", "2", "3"]) as subscription:
            for cid in ("1", "9", "2", "3"):
                await feed.publish([CustomerChanged(cid, "crm", "updated", at)])
            try:
                async for batch in subscription:
                    heard += [c.customer_id for c in batch]
            except ChangesMissed:
                heard.append("missed")
        feed.close()
        return heard

    # Customer 9 is not subscribed to and takes no room; the third batch overflows, and the
    # two queued before are still read.
    assert asyncio.run(scenario()) == ["1", "2", "missed"]


SSE = {"accept": "text/event-stream"}
MULTIPART = {"accept": 'multipart/mixed;subscriptionSpec="1.0", application/json'}


@pytest.mark.parametrize("accept", [SSE, MULTIPART], ids=["sse", "multipart"])
def test_a_subscription_over_http_without_credentials_is_refused_before_streaming(
    production: Gateway, accept: dict[str, str]
) -> None:
    response = production.http.post("/graphql", json={"query": CHANGES}, headers=accept)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_consumer_over_sse_hears_only_about_themselves(production: Gateway) -> None:
    headers = {**SSE, **consumer("31")}
    with production.http.stream(
        "POST", "/graphql", json={"query": CHANGES}, headers=headers
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        subscribed(production, 1)
        for customer_id in ("32", "31"):
            body = notice([customer_id])
            post_notice(production.http, "crm", body, signed(body, NOW)).raise_for_status()
        lines = response.iter_lines()
        event = next(line for line in lines if line.startswith("data:"))
    change = json.loads(event.removeprefix("data:"))["data"]["customerChanged"]
    assert change["customerId"] == "31"


def test_a_consumer_over_sse_asking_about_someone_else_is_refused(production: Gateway) -> None:
    headers = {**SSE, **consumer("31")}
    response = production.http.post(
        "/graphql", json={"query": CHANGES, "variables": {"ids": ["32"]}}, headers=headers
    )
    assert "event: next" in response.text
    assert '"code":"FORBIDDEN"' in response.text
    assert "event: complete" in response.text
    assert metric(production, "customer_graph_change_subscribers") == 0
