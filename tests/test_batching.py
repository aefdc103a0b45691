"""One batched upstream call per source, whatever the number of customers."""

from __future__ import annotations

import math

from tests.conftest import Gateway, Sandbox

ALL_SOURCES = """
query ($ids: [ID!]!) {
  customers(ids: $ids) {
    id name email
    orders(first: 3) { totalCount edges { node { id total { amount currency } } } }
    loyalty { tier points }
    preferences { channel optIn }
  }
}
"""

LIST_ALL_SOURCES = """
query ($first: Int!) {
  customerList(first: $first) {
    pageInfo { hasNextPage endCursor }
    edges { node { id name orders { totalCount } loyalty { tier } preferences { channel } } }
  }
}
"""

# The sandbox's batch limits, as the shipped config declares them.
MAX_BATCH = {"crm": 100, "orders": 50, "loyalty": 100, "preferences": 200}


def test_hundred_customers_make_one_call_per_source(gateway: Gateway, sandbox: Sandbox) -> None:
    ids = [str(i) for i in range(1, 101)]
    body = gateway.query(ALL_SOURCES, {"ids": ids})
    assert "errors" not in body
    assert [c["id"] for c in body["data"]["customers"]] == ids
    assert sandbox.calls() == {api: math.ceil(100 / size) for api, size in MAX_BATCH.items()}


def test_customer_list_of_hundred_makes_one_call_per_source(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body = gateway.query(LIST_ALL_SOURCES, {"first": 100})
    assert "errors" not in body
    page = body["data"]["customerList"]
    assert len(page["edges"]) == 100
    assert page["pageInfo"]["hasNextPage"] is True
    calls = sandbox.calls()
    assert calls == {api: math.ceil(100 / size) for api, size in MAX_BATCH.items()}
    # The listing itself carried the CRM fields: no second CRM call for the same customers.
    assert sandbox.stats()["crm"]["events"][0]["path"] == "/crm/customers"


def test_next_page_continues_after_the_cursor(gateway: Gateway, sandbox: Sandbox) -> None:
    query = "query ($after: String) { customerList(first: 3, after: $after) { "
    query += "pageInfo { endCursor } edges { node { id } } } }"
    first = gateway.query(query)["data"]["customerList"]
    second = gateway.query(query, {"after": first["pageInfo"]["endCursor"]})["data"]
    assert [e["node"]["id"] for e in first["edges"]] == ["1", "2", "3"]
    assert [e["node"]["id"] for e in second["customerList"]["edges"]] == ["4", "5", "6"]


def test_profile_only_query_calls_only_the_crm(gateway: Gateway, sandbox: Sandbox) -> None:
    body = gateway.query('{ customers(ids: ["1", "2"]) { firstName city segment } }')
    assert "errors" not in body
    assert sandbox.calls() == {"crm": 1, "orders": 0, "loyalty": 0, "preferences": 0}


def test_name_only_asks_the_crm_for_the_name_attributes(gateway: Gateway, sandbox: Sandbox) -> None:
    gateway.query('{ customer(id: "7") { name } }')
    (event,) = sandbox.stats()["crm"]["events"]
    assert "fields=first_name,id,last_name&" in event["query"] + "&"


def test_unknown_ids_are_null_in_place_and_duplicates_fetched_once(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body = gateway.query(
        '{ customers(ids: ["3", "999999", "3", "abc", "4"]) {'
        " id loyalty { tier } orders { totalCount } } }"
    )
    assert "errors" not in body
    assert [c and c["id"] for c in body["data"]["customers"]] == ["3", None, "3", None, "4"]
    stats = sandbox.stats()
    # Ids that cannot exist upstream (the key templates take numbers) are never sent.
    assert stats["crm"]["ids"] == [["3", "999999", "4"]]
    assert stats["orders"]["ids"] == [["3", "999999", "4"]]
    assert stats["loyalty"]["ids"] == [["M-000003", "M-999999", "M-000004"]]


def test_all_sources_are_asked_before_any_answers(gateway: Gateway, sandbox: Sandbox) -> None:
    sandbox.set_faults(**{api: {"latency_ms": 100} for api in MAX_BATCH})
    ids = [str(i) for i in range(1, 11)]
    body = gateway.query(ALL_SOURCES, {"ids": ids})
    assert "errors" not in body
    events = [e for s in sandbox.stats().values() for e in s["events"]]
    assert len(events) == 4
    assert max(e["arrived"] for e in events) < min(e["answered"] for e in events)


def test_fragments_and_skip_decide_which_sources_are_called(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    query = """
    query ($withOrders: Boolean!) {
      customer(id: "5") { ...Profile  loyalty @skip(if: true) { tier }
                          ... on Customer { orders @include(if: $withOrders) { totalCount } } }
    }
    fragment Profile on Customer { email }
    """
    gateway.query(query, {"withOrders": False})
    assert sandbox.calls() == {"crm": 1, "orders": 0, "loyalty": 0, "preferences": 0}
    gateway.query(query, {"withOrders": True})
    assert sandbox.calls() == {"crm": 2, "orders": 1, "loyalty": 0, "preferences": 0}
