"""Three ``customer-graph serve`` processes sharing the real Redis, behind a real HAProxy
running the shipped deploy/haproxy/haproxy.cfg: what one replica learns, the others know,
and a replica stopped in the middle of a load run costs its clients nothing.

The replicas share one module-wide cluster; the stop test ends one of them, so it runs last.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from auth import hash_api_key
from gateway.settings import DEFAULT_CONFIG
from tests.cluster import Balancer, Replica, balancer, replicas, wait_for
from tests.conftest import REDIS_URL, Gateway, Sandbox, redis_keyspace
from tests.graphql_ws import socket
from tests.notices import notice, post_notice, signed, webhook_env
from tests.test_cache import metric

# Customers no other test module reads or changes.
IDS = [str(n) for n in range(9301, 9306)]
EMAILS = "query ($ids: [ID!]!) { customers(ids: $ids) { id email loyalty { tier } } }"
CITY = "query ($id: ID!) { customer(id: $id) { id city } }"
CHANGES = (
    "subscription ($ids: [ID!]) { customerChanged(ids: $ids) { customerId customer { city } } }"
)
LIMITED_KEY = "cgk_replicas-limited-0123456789abcdefghijklmnopq"


@dataclass
class Cluster:
    """The running replicas, each with a client, and the balancer in front of them."""

    replicas: list[Replica]
    gateways: list[Gateway]
    balancer: Balancer
    through_balancer: Gateway


@pytest.fixture(scope="module")
def cluster(sandbox_server: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    log_dir = tmp_path_factory.mktemp("replicas")
    with ExitStack() as stack:
        prefix = stack.enter_context(redis_keyspace("cgreplicas"))
        env = {
            # The bundled sandbox config, named as a deployment names its own.
            "CG_CONFIG": str(DEFAULT_CONFIG),
            # Answers are compared across replicas whole: without freshness, which differs.
            "CG_FRESHNESS__BY_DEFAULT": "false",
            "SANDBOX_URL": sandbox_server.url,
            "CG_CACHE__REDIS_URL": REDIS_URL,
            "CG_CACHE__REDIS_PREFIX": prefix,
            # Generous on a loaded 2-core machine: one slow answer would skip Redis for 5 s.
            "CG_REDIS__COMMAND_TIMEOUT": "2",
            "CG_REDIS__CONNECT_TIMEOUT": "2",
            "CG_APQ__STORE": "redis",
            "CG_LIMITS__RATE__STORAGE_URL": REDIS_URL,
            "CG_LIMITS__RATE__KEY_PREFIX": f"{prefix}rate",
            "CG_AUTH__API_KEYS": json.dumps(
                {
                    "limited": {
                        "sha256": hash_api_key(LIMITED_KEY),
                        "scopes": ["customers:read"],
                        "rate_limit": "3/minute",
                    }
                }
            ),
            **webhook_env(),
        }
        running = stack.enter_context(replicas(3, env, log_dir))
        front = stack.enter_context(balancer([r.url for r in running], log_dir))
        gateways = [Gateway(r.url) for r in running]
        through_balancer = Gateway(front.url)
        for gateway in (*gateways, through_balancer):
            stack.callback(gateway.http.close)
        yield Cluster(running, gateways, front, through_balancer)


@pytest.fixture
def live(cluster: Cluster, sandbox: Sandbox) -> Cluster:
    """The cluster, every replica still running, with the sandbox's counters zeroed."""
    for replica in cluster.replicas:
        assert replica.process.poll() is None, f"{replica.name} stopped:\n{replica.log()}"
    return cluster


def move(sandbox: Sandbox, customer_id: str) -> str:
    """Give a customer a new city upstream, behind the gateways' backs; the new city."""
    city = f"City {uuid.uuid4().hex[:8]}"
    sandbox.http.patch(f"/crm/customers/{customer_id}", json={"city": city}).raise_for_status()
    return city


def webhook(gateway: Gateway, customer_id: str) -> None:
    body = notice([customer_id])
    assert post_notice(gateway.http, "crm", body, signed(body, time.time())).status_code == 200


def test_each_replica_logs_the_config_file_it_loaded(live: Cluster) -> None:
    for replica in live.replicas:
        loaded = [
            json.loads(line)
            for line in replica.log().splitlines()
            if '"configuration loaded"' in line
        ]
        assert [entry["config"] for entry in loaded] == [str(DEFAULT_CONFIG)], replica.log()


def test_a_cache_fill_through_one_replica_is_a_hit_on_the_others(
    live: Cluster, sandbox: Sandbox
) -> None:
    one, two, three = live.gateways
    first = one.query(EMAILS, {"ids": IDS})
    assert {api: sandbox.calls()[api] for api in ("crm", "loyalty")} == {"crm": 1, "loyalty": 1}
    for gateway in (two, three, live.through_balancer):
        assert gateway.query(EMAILS, {"ids": IDS}) == first
    assert sum(sandbox.calls().values()) == 2
    for gateway in (two, three):
        assert metric(gateway, "customer_graph_cache_l2_hits_total", source="crm") >= len(IDS)


def test_a_webhook_to_one_replica_invalidates_every_replica(
    live: Cluster, sandbox: Sandbox
) -> None:
    customer = "9311"
    for gateway in live.gateways:
        gateway.query(CITY, {"id": customer})
    city = move(sandbox, customer)
    sandbox.reset()
    remote_before = [
        metric(g, "customer_graph_cache_invalidations_total", origin="remote")
        for g in live.gateways
    ]
    webhook(live.gateways[0], customer)
    for gateway, before in zip(live.gateways[1:], remote_before[1:], strict=True):
        wait_for(
            lambda g=gateway, b=before: (
                metric(  # type: ignore[misc]
                    g, "customer_graph_cache_invalidations_total", origin="remote"
                )
                > b
            ),
            what="the invalidation reached the other replicas",
        )
    for gateway in live.gateways:
        assert gateway.query(CITY, {"id": customer})["data"]["customer"]["city"] == city
    # One replica fetched it again; the others found that fetch in Redis.
    assert sandbox.stats()["crm"]["ids"] == [[customer]]


def test_a_partners_rate_limit_counts_across_replicas(live: Cluster) -> None:
    key = {"x-api-key": LIMITED_KEY}
    query = {"query": '{ customer(id: "9321") { id } }'}
    statuses = [g.http.post("/graphql", json=query, headers=key).status_code for g in live.gateways]
    assert statuses == [200, 200, 200]
    for gateway in (live.through_balancer, *live.gateways):
        refused = gateway.http.post("/graphql", json=query, headers=key)
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_a_query_persisted_on_one_replica_is_found_on_another(live: Cluster) -> None:
    # A text no earlier run registered, though each run has its own prefix anyway.
    query = f"query Persisted{uuid.uuid4().hex} ($id: ID!) {{ customer(id: $id) {{ id }} }}"
    by_hash = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    }
    one, two, three = live.gateways
    unknown = three.http.post("/graphql", json={"extensions": by_hash, "variables": {"id": "9331"}})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = one.http.post(
        "/graphql", json={"query": query, "extensions": by_hash, "variables": {"id": "9331"}}
    )
    assert registered.json() == {"data": {"customer": {"id": "9331"}}}
    for gateway in (two, three, live.through_balancer):
        found = gateway.http.post(
            "/graphql", json={"extensions": by_hash, "variables": {"id": "9332"}}
        )
        assert found.json() == {"data": {"customer": {"id": "9332"}}}


def test_a_subscriber_on_one_replica_hears_a_change_sent_to_another(
    live: Cluster, sandbox: Sandbox
) -> None:
    customer = "9341"
    subscribers = sum(metric(g, "customer_graph_change_subscribers") for g in live.gateways)
    with socket(live.gateways[2].url) as direct, socket(live.balancer.url) as balanced:
        for ws in (direct, balanced):
            ws.subscribe(CHANGES, {"ids": [customer]})
        wait_for(
            lambda: (
                sum(metric(g, "customer_graph_change_subscribers") for g in live.gateways)
                == subscribers + 2
            ),
            what="both subscriptions open",
        )
        city = move(sandbox, customer)
        webhook(live.gateways[0], customer)
        for ws in (direct, balanced):
            change = ws.next_data()["customerChanged"]
            assert change == {"customerId": customer, "customer": {"city": city}}
    assert metric(live.gateways[2], "customer_graph_changes_total", origin="remote") >= 1


@dataclass
class LoadRun:
    """What the clients of a bounded load run saw."""

    answered: int = 0
    failures: list[str] = field(default_factory=list)


def _load(url: str, stop: threading.Event, deadline: float, limit: int, seed: int) -> LoadRun:
    """One client sending queries until told to stop, the deadline or ``limit`` requests."""
    run = LoadRun()
    draw = random.Random(seed)
    with httpx.Client(base_url=url, timeout=10) as http:
        while not stop.is_set() and time.monotonic() < deadline and run.answered < limit:
            customer = str(draw.randint(1, 3000))
            query = {"query": CITY, "variables": {"id": customer}}
            try:
                response = http.post("/graphql", json=query)
                body: Any = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                run.failures.append(f"{type(exc).__name__}: {exc}")
                continue
            run.answered += 1
            if response.status_code != 200 or "errors" in body:
                run.failures.append(f"{response.status_code}: {body}")
    return run


def test_a_replica_stopped_during_a_load_run_fails_no_request(
    live: Cluster, sandbox: Sandbox
) -> None:
    # Upstream latency keeps requests in flight on the replica as it stops.
    sandbox.set_faults(crm={"latency_ms": 20})
    stopping = live.replicas[1]
    before = {name: int(row["stot"]) for name, row in live.balancer.servers().items()}
    stop = threading.Event()
    deadline = time.monotonic() + 30
    with ThreadPoolExecutor(6) as pool:
        clients = [
            pool.submit(_load, live.balancer.url, stop, deadline, 2000, seed) for seed in range(6)
        ]
        time.sleep(1.5)
        stopping.signal(signal.SIGTERM)
        signalled = time.monotonic()
        exit_code = stopping.process.wait(30)
        stopped_after = time.monotonic() - signalled
        # Load goes on a while after the listener closed, then the run ends.
        time.sleep(1.0)
        stop.set()
        runs = [client.result() for client in clients]

    failures = [failure for run in runs for failure in run.failures]
    assert failures == []
    assert exit_code == 0, stopping.log()
    # It drained: unready for shutdown_delay (3 s) while still serving, then it stopped.
    assert "shutting down: not ready, still serving" in stopping.log()
    assert stopped_after >= 3
    servers = live.balancer.servers()
    assert servers[stopping.name]["status"] == "DOWN"
    served = {name: int(row["stot"]) - before[name] for name, row in servers.items()}
    # Every replica had its share while all were up; the clients did not notice the stop.
    assert all(count > 0 for count in served.values()), served
    assert sum(run.answered for run in runs) > 100
