"""Stale serving: refresh behind a stale answer, or answer stale when the upstream fails."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from tests.conftest import Gateway, ManualClock, Sandbox, sandbox_settings

StartGateway = Callable[..., AbstractContextManager[str]]

PROFILES = '{ customers(ids: ["1", "2", "3"]) { id email city } }'


def wait_for(condition: Callable[[], bool]) -> None:
    """Wait for something another thread does; bounded, so a bug fails instead of hanging."""
    for _ in range(500):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("the condition never became true")


def test_stale_if_error_serves_stale_data_with_a_warning(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    settings = sandbox_settings(sandbox.url, CG_SOURCES__CRM__STALE_IF_ERROR="600")
    with start_gateway(settings, clock=clock) as url:
        gateway = Gateway(url)
        fresh = gateway.query(PROFILES)
        clock.advance(90)
        sandbox.set_faults(crm={"failure_rate": 1.0, "status": 503})
        body = gateway.query(PROFILES)
        assert body["data"] == fresh["data"]
        assert "errors" not in body
        assert body["extensions"]["warnings"] == [
            {"code": "STALE_DATA", "source": "crm", "customerIds": ["1", "2", "3"], "age": 90}
        ]
        assert sandbox.calls()["crm"] >= 2


def test_without_stale_if_error_a_failed_upstream_is_a_typed_error(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    with start_gateway(sandbox_settings(sandbox.url), clock=clock) as url:
        gateway = Gateway(url)
        gateway.query(PROFILES)
        clock.advance(90)
        sandbox.set_faults(crm={"failure_rate": 1.0, "status": 503})
        body = gateway.query(PROFILES)
        assert "extensions" not in body
        codes = {(e["extensions"]["code"], e["extensions"]["source"]) for e in body["errors"]}
        assert codes == {("UPSTREAM_UNAVAILABLE", "crm")}


def test_stale_if_error_ends_with_its_window(sandbox: Sandbox, start_gateway: StartGateway) -> None:
    clock = ManualClock()
    settings = sandbox_settings(sandbox.url, CG_SOURCES__CRM__STALE_IF_ERROR="600")
    with start_gateway(settings, clock=clock) as url:
        gateway = Gateway(url)
        gateway.query(PROFILES)
        clock.advance(60 + 600)
        sandbox.set_faults(crm={"failure_rate": 1.0, "status": 503})
        body = gateway.query(PROFILES)
        assert {e["extensions"]["code"] for e in body["errors"]} == {"UPSTREAM_UNAVAILABLE"}


def test_stale_while_revalidate_answers_at_once_and_refreshes_once(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    settings = sandbox_settings(sandbox.url, CG_SOURCES__CRM__STALE_WHILE_REVALIDATE="600")
    with start_gateway(settings, clock=clock) as url:
        gateway = Gateway(url)
        fresh = gateway.query(PROFILES)
        sandbox.reset()
        clock.advance(90)
        # The refresh is slow; both stale answers come first, and share it.
        sandbox.set_faults(crm={"latency_ms": 300})
        assert gateway.query(PROFILES) == fresh
        assert gateway.query(PROFILES) == fresh
        wait_for(lambda: any(e["answered"] for e in sandbox.stats()["crm"]["events"]))
        assert sandbox.stats()["crm"]["ids"] == [["1", "2", "3"]]
        # Refreshed: fresh again, no further call.
        assert gateway.query(PROFILES) == fresh
        assert sandbox.calls()["crm"] == 1
