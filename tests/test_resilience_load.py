"""Under load with flaky upstreams: every request answered, nothing unhandled, memory bounded."""

from __future__ import annotations

import gc
import logging
import ssl
import time
import tracemalloc
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from structlog.testing import capture_logs

from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Sandbox, uncached_settings

QUERY = """
query ($ids: [ID!]!) {
  customers(ids: $ids) {
    id email orders(first: 2) { totalCount } loyalty { tier } preferences { channel }
  }
}
"""
TYPED = {"UPSTREAM_UNAVAILABLE", "UPSTREAM_TIMEOUT", "UPSTREAM_RATE_LIMITED", "CIRCUIT_OPEN"}
CLIENTS = 20


def hammer(url: str, seconds: float) -> Counter[str]:
    """Twenty clients querying as fast as answers come; a tally of what they saw."""
    # The clients exist before the clock starts, sharing one TLS context: each building its
    # own (certifi's bundle) took about 0.25 s, which on a busy machine ate the whole window.
    tls = ssl.create_default_context()
    clients = [httpx.Client(base_url=url, timeout=30, verify=tls) for _ in range(CLIENTS)]
    stop = time.monotonic() + seconds

    def client(number: int) -> Counter[str]:
        seen: Counter[str] = Counter()
        with clients[number] as http:
            while time.monotonic() < stop:
                first = (number * 7 + seen["requests"] * 5) % 200 + 1
                ids = [str(first + k) for k in range(5)]
                response = http.post("/graphql", json={"query": QUERY, "variables": {"ids": ids}})
                seen["requests"] += 1
                seen[f"status {response.status_code}"] += 1
                body = response.json()
                if [c and c["id"] for c in body["data"]["customers"]] != ids:
                    seen["customers missing"] += 1
                for error in body.get("errors", []):
                    seen[error["extensions"]["code"]] += 1
        return seen

    with ThreadPoolExecutor(CLIENTS) as pool:
        return sum(
            (f.result() for f in [pool.submit(client, n) for n in range(CLIENTS)]), Counter()
        )


def test_twenty_clients_under_thirty_percent_failures_all_get_answers(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.set_faults(
        crm={"failure_rate": 0.3, "status": 500},
        orders={"failure_rate": 0.3, "status": 503, "retry_after": 0.05},
        loyalty={"failure_rate": 0.3, "status": 429},
        preferences={"failure_rate": 0.3, "status": 502},
    )
    app = create_app(uncached_settings(sandbox.url))
    caplog.set_level(logging.WARNING)
    with run_in_thread(app) as url, capture_logs() as logs:
        hammer(url, 1.0)  # warm-up: connection pools, parser caches, metric series
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        seen = hammer(url, 3.0)
        # The sandbox shares this process; its request log is not the gateway's memory.
        sandbox.http.post("/_stats/reset").raise_for_status()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        # White-box: the breakers' bookkeeping must stay bounded under sustained faults.
        breakers = [c.guard.breaker for c in app.state.gateway.started.sources._clients.values()]

    assert seen["requests"] >= CLIENTS
    assert seen["status 200"] == seen["requests"]
    assert seen["customers missing"] == 0
    codes = {key for key in seen if key.isupper()}
    assert codes <= TYPED
    # The failures happened, and most of them were absorbed by retries.
    assert "UPSTREAM_UNAVAILABLE" in codes or "UPSTREAM_RATE_LIMITED" in codes
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [e for e in logs if e["log_level"] in ("error", "critical")] == []
    assert grown < 4 * 1024 * 1024, f"traced memory grew by {grown} bytes"
    assert all(len(b._counts) <= 10 for b in breakers)
