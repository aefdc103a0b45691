"""Closed vocabularies are enums: upstream words become enum values by name, whatever their
case, and a word outside the enum fails only its field, with UPSTREAM_DATA_INVALID."""

from __future__ import annotations

from typing import Any

from gateway.app import create_app
from sandbox.server import run_in_thread
from schema.vocabulary import Channel, LoyaltyTier, OrderStatus, Segment
from tests.conftest import Gateway, Sandbox, sandbox_settings

IDS = ["3", "5", "7"]
QUERY = """query($ids: [ID!]!) {
  customers(ids: $ids) {
    id segment
    loyalty { memberNumber tier }
    preferences { channel optIn }
    orders(first: 50) { edges { node { id status total { amount } } } }
  }
}"""


def names(enum: Any) -> set[str]:
    return {member.name for member in enum}


def statuses(body: dict[str, Any]) -> list[str | None]:
    return [
        edge["node"]["status"]
        for customer in body["data"]["customers"]
        for edge in customer["orders"]["edges"]
    ]


def test_upstream_words_are_answered_as_enum_values(gateway: Gateway, sandbox: Sandbox) -> None:
    body = gateway.query(QUERY, {"ids": IDS})
    assert "errors" not in body
    customers = body["data"]["customers"]
    # The CRM and the orders API write lower case, the loyalty API upper case.
    for customer, cid in zip(customers, IDS, strict=True):
        assert customer["segment"] == sandbox.data.customer(cid).segment.upper()
    assert {c["segment"] for c in customers} <= names(Segment)
    assert {c["loyalty"]["tier"] for c in customers} <= names(LoyaltyTier)
    assert {p["channel"] for c in customers for p in c["preferences"]} <= names(Channel)
    assert set(statuses(body)) <= names(OrderStatus)
    assert "DELIVERED" in statuses(body)
    assert sandbox.calls() == {"crm": 1, "orders": 1, "loyalty": 1, "preferences": 1}


def test_an_unknown_order_status_nulls_only_that_field(gateway: Gateway, sandbox: Sandbox) -> None:
    before = gateway.query(QUERY, {"ids": IDS})
    sandbox.set_faults(orders={"replace": "delivered>lost"})
    body = gateway.query(QUERY, {"ids": IDS})
    delivered = [i for i, status in enumerate(statuses(before)) if status == "DELIVERED"]
    assert delivered
    assert [s for i, s in enumerate(statuses(body)) if i in delivered] == [None] * len(delivered)
    assert [s for i, s in enumerate(statuses(body)) if i not in delivered] == [
        s for i, s in enumerate(statuses(before)) if i not in delivered
    ]
    # Only the status: each of those orders keeps its id and total, every other field stands.
    assert body["data"]["customers"][0]["loyalty"] == before["data"]["customers"][0]["loyalty"]
    errors = body["errors"]
    assert len(errors) == len(delivered)
    first = errors[0]
    assert first["path"][-1] == "status"
    assert first["path"][:2] == ["customers", 0]
    assert first["extensions"]["code"] == "UPSTREAM_DATA_INVALID"
    assert first["extensions"]["source"] == "orders"
    assert "'lost' is not a OrderStatus" in first["message"]
    assert sandbox.calls()["orders"] == 2


def test_an_unknown_tier_in_xml_nulls_only_the_tier(gateway: Gateway, sandbox: Sandbox) -> None:
    before = gateway.query(QUERY, {"ids": IDS})
    tiers = [c["loyalty"]["tier"] for c in before["data"]["customers"]]
    drifted = tiers[0]
    sandbox.set_faults(loyalty={"replace": f"{drifted}>DIAMOND"})
    body = gateway.query(QUERY, {"ids": IDS})
    loyalty = [c["loyalty"] for c in body["data"]["customers"]]
    assert [m["tier"] for m in loyalty] == [None if t == drifted else t for t in tiers]
    assert [m["memberNumber"] for m in loyalty] == [
        c["loyalty"]["memberNumber"] for c in before["data"]["customers"]
    ]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UPSTREAM_DATA_INVALID"}
    assert [e["path"] for e in body["errors"]] == [
        ["customers", i, "loyalty", "tier"] for i, t in enumerate(tiers) if t == drifted
    ]


def test_the_fast_path_and_strawberry_answer_a_drifted_vocabulary_alike(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    settings = sandbox_settings(
        sandbox.url, CG_CACHE__ENABLED="false", CG_SERVER__FAST_PATH="false"
    )
    sandbox.set_faults(orders={"replace": "shipped>lost"}, preferences={"replace": "sms>fax"})
    with run_in_thread(create_app(settings)) as url:
        plain = Gateway(url)
        request = {"query": QUERY, "variables": {"ids": IDS}}
        fast_body = gateway.http.post("/graphql", json=request).content
        plain_body = plain.http.post("/graphql", json=request).content
    assert fast_body == plain_body
    assert b"UPSTREAM_DATA_INVALID" in fast_body


def test_writes_take_enum_values_and_send_the_sources_words(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body = gateway.query(
        """mutation {
          updateProfile(customerId: "9017", input: {segment: VIP}) { segment }
          updatePreferences(customerId: "9017", input: [{channel: PUSH, optIn: true}]) {
            preferences { channel optIn }
          }
        }"""
    )
    assert "errors" not in body
    assert body["data"]["updateProfile"] == {"segment": "VIP"}
    assert {"channel": "PUSH", "optIn": True} in body["data"]["updatePreferences"]["preferences"]
    crm = sandbox.http.get("/crm/customers/9017").json()
    assert crm["data"]["segment"] == "vip"


def test_a_word_outside_an_input_enum_is_refused_before_anything_is_written(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    response = gateway.http.post(
        "/graphql",
        json={
            "query": 'mutation { updateProfile(customerId: "9017", input: {segment: "vip"}) '
            "{ segment } }"
        },
    )
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert sum(sandbox.calls().values()) == 0
