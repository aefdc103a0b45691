"""Retries of reads: backoff with full jitter, Retry-After honoured, attempts and budget bounded."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox import API_NAMES
from tests.conftest import FakeTimer, Gateway, Sandbox, StartGateway, uncached_settings

EMAIL = '{ customer(id: "8") { email } }'
EVERYTHING = (
    '{ customer(id: "5") { email orders { totalCount } loyalty { tier } preferences { channel } } }'
)


def error_codes(body: dict[str, Any]) -> dict[str, str]:
    return {e["extensions"]["source"]: e["extensions"]["code"] for e in body.get("errors", [])}


def test_intermittent_503_with_retry_after_succeeds_after_waiting_as_asked(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    sandbox.set_faults(crm={"fail_next": 2, "status": 503, "retry_after": 1.5})
    with start_gateway(uncached_settings(sandbox.url), timer=timer) as url:
        body = Gateway(url).query(EMAIL)
    assert body == {"data": {"customer": {"email": sandbox.data.customer("8").email}}}  # type: ignore[union-attr]
    assert sandbox.calls()["crm"] == 3
    assert timer.sleeps == [1.5, 1.5]


def test_attempts_per_call_are_bounded_with_jittered_exponential_backoff(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    settings = uncached_settings(
        sandbox.url,
        CG_SOURCES__CRM__RETRIES__ATTEMPTS="4",
        CG_SOURCES__CRM__RETRIES__BACKOFF_INITIAL="0.5",
        CG_SOURCES__CRM__RETRIES__BACKOFF_MAX="1.5",
    )
    sandbox.set_faults(crm={"failure_rate": 1.0, "status": 503})
    with start_gateway(settings, timer=timer) as url:
        body = Gateway(url).query(EMAIL)
    assert body["data"]["customer"]["email"] is None
    assert error_codes(body) == {"crm": "UPSTREAM_UNAVAILABLE"}
    assert sandbox.calls()["crm"] == 4
    # Full jitter: each wait is drawn from [0, cap], the cap doubling up to backoff_max.
    caps = [0.5, 1.0, 1.5]
    assert len(timer.sleeps) == 3
    assert all(0 <= wait <= cap for wait, cap in zip(timer.sleeps, caps, strict=True))


def test_429_without_retry_after_is_retried_with_backoff(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    sandbox.set_faults(crm={"fail_next": 1, "status": 429})
    with start_gateway(uncached_settings(sandbox.url), timer=timer) as url:
        body = Gateway(url).query(EMAIL)
    assert "errors" not in body
    assert sandbox.calls()["crm"] == 2
    assert len(timer.sleeps) == 1


def test_retry_after_beyond_the_cap_fails_at_once(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    settings = uncached_settings(sandbox.url, CG_SOURCES__CRM__RETRIES__RETRY_AFTER_MAX="5")
    sandbox.set_faults(crm={"fail_next": 1, "status": 429, "retry_after": 6})
    with start_gateway(settings, timer=timer) as url:
        body = Gateway(url).query(EMAIL)
    assert error_codes(body) == {"crm": "UPSTREAM_RATE_LIMITED"}
    assert sandbox.calls()["crm"] == 1
    assert timer.sleeps == []


def test_client_errors_are_not_retried(sandbox: Sandbox, start_gateway: StartGateway) -> None:
    sandbox.set_faults(crm={"failure_rate": 1.0, "status": 400})
    with start_gateway(uncached_settings(sandbox.url), timer=FakeTimer()) as url:
        body = Gateway(url).query(EMAIL)
    assert error_codes(body) == {"crm": "UPSTREAM_REJECTED"}
    assert sandbox.calls()["crm"] == 1


@pytest.mark.parametrize("budget", [0, 2, 5])
def test_request_retry_budget_caps_retries_across_all_sources(
    sandbox: Sandbox, start_gateway: StartGateway, budget: int
) -> None:
    timer = FakeTimer()
    settings = uncached_settings(sandbox.url, CG_SERVER__RETRY_BUDGET=str(budget))
    sandbox.set_faults(**{api: {"failure_rate": 1.0, "status": 503} for api in API_NAMES})
    with start_gateway(settings, timer=timer) as url:
        body = Gateway(url).query(EVERYTHING)
    assert set(error_codes(body).values()) == {"UPSTREAM_UNAVAILABLE"}
    # Four calls, each allowed two retries: the budget, not the attempts, is the limit.
    assert sum(sandbox.calls().values()) == 4 + min(budget, 4 * 2)
    assert len(timer.sleeps) == min(budget, 4 * 2)


def test_no_retry_waits_past_the_request_deadline(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    settings = uncached_settings(sandbox.url, CG_SERVER__REQUEST_DEADLINE="2")
    sandbox.set_faults(crm={"failure_rate": 1.0, "status": 503, "retry_after": 1.5})
    with start_gateway(settings, timer=timer) as url:
        body = Gateway(url).query(EMAIL)
    assert error_codes(body) == {"crm": "UPSTREAM_UNAVAILABLE"}
    # One wait of 1.5 s fits in the 2 s deadline; a second would not.
    assert timer.sleeps == [1.5]
    assert sandbox.calls()["crm"] == 2
