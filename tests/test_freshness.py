"""``extensions.freshness``: per source, when its data was fetched, its age, and whether it
was served fresh, cached, stale while revalidating or stale because the upstream failed; and
``Age`` on cacheable GET answers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from gateway.settings import DEFAULT_CONFIG, load_settings
from tests.conftest import Gateway, ManualClock, Sandbox, sandbox_settings
from tests.test_stale import wait_for
from tests.tokens import NOW, auth_env, bearer, hs256, staff_claims

StartGateway = Callable[..., AbstractContextManager[str]]

# Customers 3 and 5 have records in the CRM and in the loyalty programme.
QUERY = '{ customers(ids: ["3", "5"]) { id name loyalty { tier } } }'
ASK = {"X-Freshness": "1"}


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def freshness(body: dict[str, Any], source: str) -> Any:
    return body["extensions"]["freshness"][source]


def test_development_answers_say_how_fresh_each_source_is(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    # The shipped config as it is: development mode shows freshness by default.
    settings = load_settings(DEFAULT_CONFIG, {"SANDBOX_URL": sandbox.url})
    with start_gateway(settings, clock=clock) as url:
        gateway = Gateway(url)
        fetched = clock()
        first = gateway.query(QUERY)
        assert first["extensions"]["freshness"] == {
            source: {"fetchedAt": iso(fetched), "ageSeconds": 0, "served": "fresh"}
            for source in ("crm", "loyalty")
        }
        clock.advance(20)
        sandbox.reset()
        again = gateway.query(QUERY)
        assert sandbox.calls()["crm"] == sandbox.calls()["loyalty"] == 0
        assert again["data"] == first["data"]
        assert freshness(again, "crm") == {
            "fetchedAt": iso(fetched),
            "ageSeconds": 20,
            "served": "cached",
        }


def test_stale_while_revalidate_and_stale_on_error_are_told_apart(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    settings = sandbox_settings(
        sandbox.url,
        CG_SOURCES__CRM__STALE_WHILE_REVALIDATE="30",
        CG_SOURCES__CRM__STALE_IF_ERROR="600",
    )
    with start_gateway(settings, clock=clock) as url:
        gateway = Gateway(url)
        fetched = clock()
        gateway.query(QUERY, headers=ASK)
        # The CRM's ttl is 60 s: at 70 s it is served stale while one refresh runs.
        clock.advance(70)
        sandbox.reset()
        revalidating = gateway.query(QUERY, headers=ASK)
        assert freshness(revalidating, "crm") == {
            "fetchedAt": iso(fetched),
            "ageSeconds": 70,
            "served": "stale-while-revalidate",
        }
        assert "warnings" not in revalidating["extensions"]
        wait_for(lambda: sandbox.calls()["crm"] == 1)
        refreshed_at = clock()
        # Past ttl + stale_while_revalidate of the refreshed entry, the CRM fails.
        clock.advance(100)
        sandbox.set_faults(crm={"failure_rate": 1.0, "status": 503})
        on_error = gateway.query(QUERY, headers=ASK)
        assert "errors" not in on_error
        assert freshness(on_error, "crm") == {
            "fetchedAt": iso(refreshed_at),
            "ageSeconds": 100,
            "served": "stale-if-error",
        }
        assert [w["code"] for w in on_error["extensions"]["warnings"]] == ["STALE_DATA"]


def test_production_answers_carry_freshness_only_when_asked(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # Production mode (auth_env), with the shipped default for freshness.
    settings = load_settings(DEFAULT_CONFIG, {"SANDBOX_URL": sandbox.url, **auth_env()})
    staff = bearer(hs256(staff_claims("customers:read")))
    with start_gateway(settings, clock=lambda: NOW) as url:
        gateway = Gateway(url)
        plain = gateway.query(QUERY, headers=staff)
        assert "extensions" not in plain
        asked = gateway.query(QUERY, headers={**staff, **ASK})
        assert asked["data"] == plain["data"]
        assert set(asked["extensions"]["freshness"]) == {"crm", "loyalty"}
        assert freshness(asked, "crm")["fetchedAt"] == iso(NOW)


def test_a_cacheable_get_answer_carries_its_age(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    settings = sandbox_settings(sandbox.url, CG_APQ__GET_CACHE_CONTROL="private, max-age=30")
    with start_gateway(settings, clock=clock) as url:
        gateway = Gateway(url)
        first = gateway.http.get("/graphql", params={"query": QUERY})
        assert first.headers["cache-control"] == "private, max-age=30"
        assert first.headers["age"] == "0"
        clock.advance(12)
        again = gateway.http.get("/graphql", params={"query": QUERY}, headers=ASK)
        assert again.headers["age"] == "12"
        # Freshness in the answer does not make it uncacheable; a warning would.
        assert again.json()["extensions"]["freshness"]["crm"]["ageSeconds"] == 12
        assert again.headers["cache-control"] == "private, max-age=30"


def test_an_answer_with_freshness_is_neither_kept_nor_served_by_the_response_cache(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    settings = sandbox_settings(sandbox.url, CG_RESPONSE_CACHE__ENABLED="true")
    with start_gateway(settings, clock=clock) as url:
        gateway = Gateway(url)
        gateway.http.post("/graphql", json={"query": QUERY}, headers=ASK).raise_for_status()
        clock.advance(5)
        plain = gateway.http.post("/graphql", json={"query": QUERY})
        # The first answer was not kept: this one is computed, and kept.
        assert "; stored" in plain.headers["cache-status"]
        clock.advance(5)
        asked = gateway.http.post("/graphql", json={"query": QUERY}, headers=ASK)
        assert "cache-status" not in asked.headers
        assert freshness(asked.json(), "crm") == {
            "fetchedAt": iso(clock() - 10),
            "ageSeconds": 10,
            "served": "cached",
        }
