"""The unified Customer carries the sandbox's data faithfully, across JSON, XML and CSV."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import schema.convert
from schema.types import Order
from tests.conftest import Gateway, Sandbox

FULL = """
query ($ids: [ID!]!) {
  customers(ids: $ids) {
    id firstName lastName name email phone birthDate country city segment createdAt updatedAt
    totalSpent { amount currency minorUnits }
    orders(first: 100) {
      totalCount
      edges { node { id placedAt status total { amount currency minorUnits }
                     lineItems { sku title quantity unitPrice { amount currency } } } }
    }
    loyalty { memberNumber tier points memberSince }
    preferences { channel optIn language updatedAt }
  }
}
"""


def _iso(value: object) -> str:
    return value.isoformat()  # type: ignore[attr-defined]


def test_values_match_the_upstreams(gateway: Gateway, sandbox: Sandbox) -> None:
    ids = [str(i) for i in range(1, 41)]
    body = gateway.query(FULL, {"ids": ids})
    assert "errors" not in body
    seen_loyalty = seen_jpy = False
    for got in body["data"]["customers"]:
        cid = got["id"]
        crm = sandbox.data.customer(cid)
        assert crm is not None
        assert got["name"] == f"{crm.first_name} {crm.last_name}"
        assert (got["email"], got["phone"], got["city"], got["segment"], got["country"]) == (
            crm.email,
            crm.phone,
            crm.city,
            crm.segment.upper(),
            crm.country,
        )
        assert got["birthDate"] == _iso(crm.birth_date)
        assert got["createdAt"] == _iso(crm.created_at)

        orders = sandbox.data.orders(cid)
        assert got["orders"]["totalCount"] == len(orders)
        for edge, order in zip(got["orders"]["edges"], orders, strict=True):
            node = edge["node"]
            assert node["id"] == order.order_id
            assert node["placedAt"] == _iso(order.placed_at)
            assert node["status"] == order.status.upper()
            assert node["total"]["minorUnits"] == order.amount_minor
            assert node["total"]["currency"] == order.currency
            scale = 0 if order.currency == "JPY" else 2
            assert Decimal(node["total"]["amount"]) == Decimal(order.amount_minor).scaleb(-scale)
            seen_jpy |= order.currency == "JPY"
            assert [(li["sku"], li["quantity"]) for li in node["lineItems"]] == [
                (line.sku, line.qty) for line in order.lines
            ]
        spent = sum(o.amount_minor for o in orders if o.status not in ("cancelled", "refunded"))
        assert (got["totalSpent"] or {}).get("minorUnits") == (spent or None)

        member = sandbox.data.loyalty(cid)
        if member is None:
            assert got["loyalty"] is None
        else:
            seen_loyalty = True
            assert got["loyalty"] == {
                "memberNumber": member.number,
                "tier": member.tier.upper(),
                "points": member.points,
                "memberSince": _iso(member.member_since),
            }
        assert got["preferences"] == [
            {
                "channel": p.channel.upper(),
                "optIn": p.opt_in,
                "language": p.language,
                "updatedAt": _iso(p.updated),
            }
            for p in sandbox.data.preferences(cid)
        ]
    assert seen_loyalty


def test_orders_page_with_cursors(gateway: Gateway, sandbox: Sandbox) -> None:
    cid = next(c for c in map(str, range(1, 200)) if len(sandbox.data.orders(c)) >= 5)
    query = (
        'query ($after: String) { customer(id: "' + cid + '") { orders(first: 2, after: $after) {'
        " pageInfo { hasNextPage endCursor } edges { node { id } } } } }"
    )
    first = gateway.query(query)["data"]["customer"]["orders"]
    second = gateway.query(query, {"after": first["pageInfo"]["endCursor"]})
    expected = [o.order_id for o in sandbox.data.orders(cid)]
    assert [e["node"]["id"] for e in first["edges"]] == expected[:2]
    assert [e["node"]["id"] for e in second["data"]["customer"]["orders"]["edges"]] == expected[2:4]
    assert first["pageInfo"]["hasNextPage"] is True


def test_only_the_requested_page_of_orders_is_converted(gateway: Gateway, sandbox: Sandbox) -> None:
    ids = [c for c in map(str, range(1, 200)) if len(sandbox.data.orders(c)) >= 5][:3]
    query = (
        "query ($ids: [ID!]!) { customers(ids: $ids) {"
        " orders(first: 2) { totalCount edges { node { id } } } } }"
    )
    with mock.patch.object(schema.convert, "Order", wraps=Order) as made:
        body = gateway.query(query, {"ids": ids})
    assert [c["orders"]["totalCount"] for c in body["data"]["customers"]] == [
        len(sandbox.data.orders(c)) for c in ids
    ]
    assert made.call_count == 2 * len(ids)


def test_total_spent_converts_no_orders(gateway: Gateway, sandbox: Sandbox) -> None:
    cid = next(c for c in map(str, range(1, 200)) if len(sandbox.data.orders(c)) >= 5)
    spent = sum(
        o.amount_minor
        for o in sandbox.data.orders(cid)
        if o.status not in ("cancelled", "refunded")
    )
    with mock.patch.object(schema.convert, "Order", wraps=Order) as made:
        body = gateway.query(f'{{ customer(id: "{cid}") {{ totalSpent {{ minorUnits }} }} }}')
    assert body["data"]["customer"]["totalSpent"]["minorUnits"] == spent
    assert made.call_count == 0
