"""Signed webhooks: an authentic notice invalidates exactly the customers it names; anything
else is refused and invalidates nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gateway.app import create_app
from gateway.settings import ConfigError
from sandbox.server import run_in_thread
from tests.conftest import Gateway, ManualClock, Sandbox, sandbox_settings
from tests.notices import (
    CRM_SECRET,
    LOYALTY_SECRET,
    notice,
    post_notice,
    signed,
    webhook_env,
)
from tests.test_cache import metric

QUERY = "query ($ids: [ID!]!) { customers(ids: $ids) { id email loyalty { tier } } }"
IDS = ["1", "2", "3", "4", "5"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cached(sandbox: Sandbox, clock: ManualClock) -> Iterator[Gateway]:
    """A gateway with webhooks for crm and loyalty, customers 1-5 cached, counters zeroed."""
    settings = sandbox_settings(sandbox.url, **webhook_env())
    with run_in_thread(create_app(settings, clock=clock)) as url:
        gateway = Gateway(url)
        gateway.query(QUERY, {"ids": IDS})
        sandbox.reset()
        yield gateway


def test_signed_notice_invalidates_exactly_those_customers(
    cached: Gateway, sandbox: Sandbox, clock: ManualClock
) -> None:
    body = notice(["2", 4])
    answer = post_notice(cached.http, "crm", body, signed(body, clock()))
    assert answer.status_code == 200
    assert answer.json() == {
        "accepted": True,
        "source": "crm",
        "event": "updated",
        "customerIds": ["2", "4"],
    }
    cached.query(QUERY, {"ids": IDS})
    assert sandbox.stats()["crm"]["ids"] == [["2", "4"]]
    assert sandbox.calls()["loyalty"] == 0
    assert metric(cached, "customer_graph_webhooks_total", source="crm", outcome="accepted") == 1


def test_a_source_may_name_customers_by_its_own_keys_where_its_body_says(
    cached: Gateway, sandbox: Sandbox, clock: ManualClock
) -> None:
    body = json.dumps({"type": "tier_changed", "data": [{"member": "M-000003"}]}).encode()
    headers = signed(
        body,
        clock(),
        LOYALTY_SECRET,
        header="X-Loyalty-Signature",
        timestamp_header="X-Loyalty-Timestamp",
    )
    answer = post_notice(cached.http, "loyalty", body, headers)
    assert answer.status_code == 200
    assert answer.json()["customerIds"] == ["3"]
    assert answer.json()["event"] == "tier_changed"
    cached.query(QUERY, {"ids": IDS})
    assert sandbox.stats()["loyalty"]["ids"] == [["M-000003"]]
    assert sandbox.calls()["crm"] == 0


def test_signature_with_hex_alone_and_timestamp_within_tolerance_is_accepted(
    cached: Gateway, sandbox: Sandbox, clock: ManualClock
) -> None:
    body = notice(["5"])
    headers = signed(body, clock() - 299)
    headers["X-Signature"] = headers["X-Signature"].removeprefix("sha256=").upper()
    assert post_notice(cached.http, "crm", body, headers).status_code == 200
    cached.query(QUERY, {"ids": IDS})
    assert sandbox.stats()["crm"]["ids"] == [["5"]]


Refusal = Callable[[float], tuple[str, bytes, dict[str, str]]]


def _forged(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice(["1"])
    return "crm", body, signed(body, now, "not-the-secret-0123456789abcdef")


def _unsigned(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice(["1"])
    headers = signed(body, now)
    del headers["X-Signature"]
    return "crm", body, headers


def _no_timestamp(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice(["1"])
    headers = signed(body, now)
    del headers["X-Signature-Timestamp"]
    return "crm", body, headers


def _stale(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice(["1"])
    return "crm", body, signed(body, now - 301)


def _from_the_future(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice(["1"])
    return "crm", body, signed(body, now + 301)


def _timestamp_changed_after_signing(now: float) -> tuple[str, bytes, dict[str, str]]:
    # A replay of an old notice with a fresh timestamp: the timestamp is part of what is signed.
    body = notice(["1"])
    headers = signed(body, now - 3600)
    headers["X-Signature-Timestamp"] = str(int(now))
    return "crm", body, headers


def _body_changed_after_signing(now: float) -> tuple[str, bytes, dict[str, str]]:
    return "crm", notice(["1", "2"]), signed(notice(["2"]), now)


def _other_sources_secret(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice(["1"])
    headers = signed(
        body,
        now,
        CRM_SECRET,
        header="X-Loyalty-Signature",
        timestamp_header="X-Loyalty-Timestamp",
    )
    return "loyalty", body, headers


def _unknown_source(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice(["1"])
    return "billing", body, signed(body, now)


def _source_without_webhook(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice(["1"])
    return "orders", body, signed(body, now)


def _not_json(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = b"customer_ids=1"
    return "crm", body, signed(body, now)


def _form_encoded(now: float) -> tuple[str, bytes, dict[str, str]]:
    # A status the endpoint's old table of error classes did not have: it must not be a 500.
    body = b"customer_ids=1"
    headers = signed(body, now)
    headers["content-type"] = "application/x-www-form-urlencoded"
    return "crm", body, headers


def _no_ids(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({"event": "updated"}).encode()
    return "crm", body, signed(body, now)


def _ids_not_a_list(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({"customer_ids": "1,2"}).encode()
    return "crm", body, signed(body, now)


def _odd_event(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice(["1"], event="<script>")
    return "crm", body, signed(body, now)


def _not_a_member_number(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({"data": [{"member": "1"}]}).encode()
    headers = signed(
        body,
        now,
        LOYALTY_SECRET,
        header="X-Loyalty-Signature",
        timestamp_header="X-Loyalty-Timestamp",
    )
    return "loyalty", body, headers


def _oversized(now: float) -> tuple[str, bytes, dict[str, str]]:
    body = notice([str(i) for i in range(1, 20_000)])
    return "crm", body, signed(body, now)


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        (_forged, 401, "UNAUTHENTICATED"),
        (_unsigned, 401, "UNAUTHENTICATED"),
        (_no_timestamp, 401, "UNAUTHENTICATED"),
        (_stale, 401, "UNAUTHENTICATED"),
        (_from_the_future, 401, "UNAUTHENTICATED"),
        (_timestamp_changed_after_signing, 401, "UNAUTHENTICATED"),
        (_body_changed_after_signing, 401, "UNAUTHENTICATED"),
        (_other_sources_secret, 401, "UNAUTHENTICATED"),
        (_unknown_source, 404, "NOT_FOUND"),
        (_source_without_webhook, 404, "NOT_FOUND"),
        (_not_json, 400, "BAD_REQUEST"),
        (_form_encoded, 415, "UNSUPPORTED_MEDIA_TYPE"),
        (_no_ids, 400, "BAD_REQUEST"),
        (_ids_not_a_list, 400, "BAD_REQUEST"),
        (_odd_event, 400, "BAD_REQUEST"),
        (_not_a_member_number, 400, "BAD_REQUEST"),
        (_oversized, 413, "PAYLOAD_TOO_LARGE"),
    ],
)
def test_refused_notice_invalidates_nothing(
    cached: Gateway,
    sandbox: Sandbox,
    clock: ManualClock,
    refusal: Refusal,
    status: int,
    code: str,
) -> None:
    source, body, headers = refusal(clock())
    answer = post_notice(cached.http, source, body, headers)
    assert answer.status_code == status
    assert answer.json()["errors"][0]["extensions"]["code"] == code
    cached.query(QUERY, {"ids": IDS})
    assert sandbox.calls() == {"crm": 0, "orders": 0, "loyalty": 0, "preferences": 0}


def test_a_notice_replayed_after_the_tolerance_is_refused(
    cached: Gateway, clock: ManualClock
) -> None:
    body = notice(["1"])
    headers = signed(body, clock())
    assert post_notice(cached.http, "crm", body, headers).status_code == 200
    clock.advance(301)
    assert post_notice(cached.http, "crm", body, headers).status_code == 401
    assert metric(cached, "customer_graph_cache_invalidations_total", origin="local") == 1
    refused = metric(
        cached, "customer_graph_webhooks_total", source="crm", outcome="UNAUTHENTICATED"
    )
    assert refused == 1


def test_refusals_are_logged_without_the_secret_or_the_signature(
    cached: Gateway,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    body = notice(["1"])
    forged = signed(body, clock(), "not-the-secret-0123456789abcdef")
    stale = signed(body, clock() - 400)
    for headers in (forged, stale):
        assert post_notice(cached.http, "crm", body, headers).status_code == 401
    logged = caplog.text + "".join(capfd.readouterr())
    assert "webhook refused" in logged
    for secret in (CRM_SECRET, forged["X-Signature"][7:], stale["X-Signature"][7:]):
        assert secret not in logged


def test_a_webhook_secret_missing_from_the_environment_is_a_config_error(
    sandbox: Sandbox,
) -> None:
    env: dict[str, Any] = webhook_env()
    del env["CRM_WEBHOOK_SECRET"]
    with pytest.raises(ConfigError) as raised:
        sandbox_settings(sandbox.url, **env)
    assert raised.value.problems == [
        "sources.crm.webhook.secret_env: environment variable 'CRM_WEBHOOK_SECRET' is not set; "
        "expected the secret there"
    ]


def test_only_post_is_accepted(cached: Gateway) -> None:
    answer = cached.http.get("/webhooks/crm")
    assert answer.status_code == 405
