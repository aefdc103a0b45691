"""Partial results: a failing source nulls only its own fields, with a typed error, HTTP 200.

Each gateway gets its own fake timer, so retries wait no real time.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import FakeTimer, Gateway, Sandbox, StartGateway, uncached_settings

QUERY = """
query ($id: ID!) {
  customer(id: $id) { id email orders { totalCount } loyalty { tier } preferences { channel } }
}
"""

# A loyalty member, so every source has something to say about this customer.
CUSTOMER = "5"


def located_errors(body: dict[str, Any]) -> list[tuple[list[Any], dict[str, str]]]:
    return [(e["path"], e["extensions"]) for e in body.get("errors", [])]


@pytest.mark.parametrize(
    ("fault", "code", "calls"),
    [
        ({"failure_rate": 1.0, "status": 500}, "UPSTREAM_UNAVAILABLE", 3),
        ({"failure_rate": 1.0, "status": 502}, "UPSTREAM_UNAVAILABLE", 3),
        # Asked to wait longer than we are willing to: answered at once, not retried.
        ({"failure_rate": 1.0, "status": 429, "retry_after": 3600}, "UPSTREAM_RATE_LIMITED", 1),
    ],
)
def test_failing_source_nulls_only_its_fields(
    sandbox: Sandbox,
    start_gateway: StartGateway,
    fault: dict[str, Any],
    code: str,
    calls: int,
) -> None:
    sandbox.set_faults(orders=fault)
    with start_gateway(uncached_settings(sandbox.url), timer=FakeTimer()) as url:
        body = Gateway(url).query(QUERY, {"id": CUSTOMER})
    customer = body["data"]["customer"]
    data = sandbox.data
    member = data.loyalty(CUSTOMER)
    assert member is not None
    assert customer == {
        "id": CUSTOMER,
        "email": data.customer(CUSTOMER).email,  # type: ignore[union-attr]
        "orders": None,
        "loyalty": {"tier": member.tier.upper()},
        "preferences": [{"channel": p.channel.upper()} for p in data.preferences(CUSTOMER)],
    }
    assert located_errors(body) == [(["customer", "orders"], {"code": code, "source": "orders"})]
    # The shipped config makes up to three attempts per call.
    assert sandbox.calls() == {"crm": 1, "orders": calls, "loyalty": 1, "preferences": 1}


def test_every_failing_source_reports_its_own_error(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    sandbox.set_faults(
        loyalty={"failure_rate": 1.0, "status": 503},
        preferences={"failure_rate": 1.0, "status": 429, "retry_after": 3600},
    )
    with start_gateway(uncached_settings(sandbox.url), timer=FakeTimer()) as url:
        body = Gateway(url).query(QUERY, {"id": CUSTOMER})
    customer = body["data"]["customer"]
    assert customer["email"] is not None
    assert customer["orders"]["totalCount"] == len(sandbox.data.orders(CUSTOMER))
    assert sorted(located_errors(body)) == [
        (["customer", "loyalty"], {"code": "UPSTREAM_UNAVAILABLE", "source": "loyalty"}),
        (["customer", "preferences"], {"code": "UPSTREAM_RATE_LIMITED", "source": "preferences"}),
    ]


def test_failing_primary_source_keeps_the_others(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    sandbox.set_faults(crm={"failure_rate": 1.0, "status": 500})
    with start_gateway(uncached_settings(sandbox.url), timer=FakeTimer()) as url:
        body = Gateway(url).query(QUERY, {"id": CUSTOMER})
    customer = body["data"]["customer"]
    assert customer["email"] is None
    assert customer["loyalty"] is not None
    assert located_errors(body) == [
        (["customer", "email"], {"code": "UPSTREAM_UNAVAILABLE", "source": "crm"})
    ]


def test_failing_primary_source_unasked_is_a_warning(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # No CRM field is asked for, so no field can carry the CRM's error; the CRM alone knows
    # whether a customer exists, and the answer says nobody confirmed it.
    sandbox.set_faults(crm={"failure_rate": 1.0, "status": 500})
    query = """{
      a: customer(id: "5") { loyalty { tier } }
      b: customer(id: "3") { id loyalty { tier } }
      again: customer(id: "5") { id }
    }"""
    with start_gateway(uncached_settings(sandbox.url), timer=FakeTimer()) as url:
        body = Gateway(url).query(query)
        sandbox.reset()
        healthy = Gateway(url).query(query)

    assert body["data"]["a"]["loyalty"] is not None
    assert "errors" not in body
    assert body["extensions"]["warnings"] == [
        {
            "code": "EXISTENCE_UNCONFIRMED",
            "source": "crm",
            "customerIds": ["3", "5"],
            "reasons": ["UPSTREAM_UNAVAILABLE"],
        }
    ]
    assert "extensions" not in healthy


def test_a_failed_batch_call_fails_only_its_own_customers(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # 100 customers take two orders calls (at most 50 ids each); the first to arrive is refused
    # (a 400 is not retried), the other answers.
    sandbox.set_faults(orders={"fail_next": 1, "status": 400})
    ids = [str(n) for n in range(1, 101)]
    query = "query ($ids: [ID!]!) { customers(ids: $ids) { id name orders { totalCount } } }"
    with start_gateway(uncached_settings(sandbox.url), timer=FakeTimer()) as url:
        body = Gateway(url).query(query, {"ids": ids})

    assert sandbox.calls()["orders"] == 2
    customers = body["data"]["customers"]
    assert all(c["name"] for c in customers)
    failed = [c["id"] for c in customers if c["orders"] is None]
    answered = [c["id"] for c in customers if c["orders"] is not None]
    assert len(failed) == len(answered) == 50
    # Each call carries a contiguous run of 50 ids.
    assert failed in (ids[:50], ids[50:])
    errors = located_errors(body)
    assert len(errors) == 50
    assert {e[1]["code"] for e in errors} == {"UPSTREAM_REJECTED"}
    assert {e[0][1] for e in errors} == {ids.index(cid) for cid in failed}
