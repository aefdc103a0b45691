"""The circuit breaker: opens on failures, fails fast, probes after the cool-down, closes."""

from __future__ import annotations

from typing import Any

import pytest

from core import CircuitOpen
from datasources.config import Breaker
from datasources.resilience import CircuitBreaker, State
from tests.conftest import FakeTimer, Gateway, Sandbox, StartGateway, uncached_settings

QUERY = '{ customer(id: "12") { email orders { totalCount } } }'


def orders_outcome(body: dict[str, Any]) -> str:
    """ok, or the error code of the orders field; the CRM's email must be there either way."""
    customer = body["data"]["customer"]
    assert customer["email"] is not None
    errors = body.get("errors", [])
    if not errors:
        assert customer["orders"] is not None
        return "ok"
    ((error,),) = [errors]
    assert error["path"] == ["customer", "orders"]
    assert error["extensions"]["source"] == "orders"
    code: str = error["extensions"]["code"]
    return code


def circuit_gauge(gateway: Gateway, state: str) -> float:
    prefix = f'customer_graph_upstream_circuit_state{{source="orders",state="{state}"}} '
    line = next(
        ln for ln in gateway.http.get("/metrics").text.splitlines() if ln.startswith(prefix)
    )
    return float(line.removeprefix(prefix))


def test_breaker_opens_fails_fast_then_probes_after_cooldown(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    settings = uncached_settings(
        sandbox.url,
        CG_SOURCES__ORDERS__BREAKER__FAILURE_COUNT="3",
        CG_SOURCES__ORDERS__BREAKER__COOLDOWN="30",
        CG_SOURCES__ORDERS__RETRIES__ATTEMPTS="1",
    )
    sandbox.set_faults(orders={"failure_rate": 1.0, "status": 500})
    with start_gateway(settings, timer=timer) as url:
        gateway = Gateway(url)
        outcomes = [orders_outcome(gateway.query(QUERY)) for _ in range(5)]
        assert outcomes == ["UPSTREAM_UNAVAILABLE"] * 3 + ["CIRCUIT_OPEN"] * 2
        # Open: the last two queries never reached the upstream.
        assert sandbox.calls()["orders"] == 3
        ready = gateway.http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["sources"]["orders"] == {"circuit": "open"}
        assert ready.json()["sources"]["crm"] == {"circuit": "closed"}
        assert (circuit_gauge(gateway, "open"), circuit_gauge(gateway, "closed")) == (1, 0)

        timer.advance(29)
        assert orders_outcome(gateway.query(QUERY)) == "CIRCUIT_OPEN"
        timer.advance(1)
        # Half-open: one probe goes through, fails, and the circuit opens again.
        assert orders_outcome(gateway.query(QUERY)) == "UPSTREAM_UNAVAILABLE"
        assert orders_outcome(gateway.query(QUERY)) == "CIRCUIT_OPEN"
        assert sandbox.calls()["orders"] == 4

        sandbox.set_faults(orders={})
        timer.advance(30)
        # The next probe succeeds and closes the circuit: calls flow again.
        assert orders_outcome(gateway.query(QUERY)) == "ok"
        assert orders_outcome(gateway.query(QUERY)) == "ok"
        assert sandbox.calls()["orders"] == 6
        assert gateway.http.get("/readyz").json()["sources"]["orders"] == {"circuit": "closed"}
        assert circuit_gauge(gateway, "closed") == 1


def breaker(timer: FakeTimer, changes: list[State] | None = None, **policy: Any) -> CircuitBreaker:
    on_change = changes.append if changes is not None else None
    return CircuitBreaker("orders", Breaker(**policy), timer, on_change)


def call(b: CircuitBreaker, failed: bool) -> None:
    b.record(b.admit(), failed)


def test_breaker_opens_on_failure_rate_once_enough_calls_were_seen() -> None:
    timer = FakeTimer()
    b = breaker(timer, failure_rate=0.5, min_calls=4)
    for failed in (True, True, False):
        call(b, failed)
    # Two failures out of three, but fewer calls than min_calls: still closed.
    assert b.state == "closed"
    call(b, True)
    assert b.state == "open"


def test_failures_older_than_the_window_do_not_count() -> None:
    timer = FakeTimer()
    b = breaker(timer, failure_count=3, failure_rate=None, window=10)
    call(b, True)
    call(b, True)
    timer.advance(11)
    call(b, True)
    assert b.state == "closed"
    call(b, True)
    call(b, True)
    assert b.state == "open"


def test_half_open_lets_only_the_configured_probes_through() -> None:
    timer = FakeTimer()
    changes: list[State] = []
    b = breaker(timer, changes, failure_count=1, cooldown=5, probes=2)
    call(b, True)
    with pytest.raises(CircuitOpen) as refused:
        b.admit()
    assert refused.value.extensions == {"code": "CIRCUIT_OPEN", "source": "orders"}
    timer.advance(5)
    first, second = b.admit(), b.admit()
    assert (first, second) == (True, True)
    with pytest.raises(CircuitOpen):
        b.admit()
    # A probe cancelled without an outcome gives its place back.
    b.record(first, None)
    third = b.admit()
    b.record(third, False)
    assert b.state == "closed"
    # The other probe finishing late does not reopen a circuit that just closed.
    b.record(second, False)
    assert changes == ["open", "half_open", "closed"]


def test_a_failed_probe_restarts_the_cooldown() -> None:
    timer = FakeTimer()
    b = breaker(timer, failure_count=1, cooldown=5)
    call(b, True)
    timer.advance(5)
    call(b, True)
    timer.advance(4)
    with pytest.raises(CircuitOpen):
        b.admit()
    timer.advance(1)
    assert b.admit() is True


def test_breaker_memory_stays_constant_whatever_the_traffic() -> None:
    timer = FakeTimer()
    b = breaker(timer, failure_rate=None, window=10)
    for _ in range(10_000):
        call(b, False)
        timer.advance(0.37)
    assert len(b._counts) <= 10
