"""GraphQL APIs as sources: the sandbox's support desk behind ``Customer.tickets``, asked one
operation per batch for only the fields a query selects, its errors typed where they belong."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.data import Dataset
from sandbox.support import SupportDesk
from tests.conftest import (
    SANDBOX_SETTINGS,
    Gateway,
    ManualClock,
    Sandbox,
    StartGateway,
    sandbox_settings,
    uncached_settings,
)
from tests.test_cache import metric

LIST_OPERATION = "query CustomerGraphBatch($keys: [ID!]!) { tickets(customerIds: $keys) { %s } }"
ENTITIES_OPERATION = (
    "query CustomerGraphBatch($representations: [_Any!]!) { _entities(representations: "
    "$representations) { ... on Customer { tickets { %s } } } }"
)
TICKETS = "query ($ids: [ID!]!) { customers(ids: $ids) { id tickets { subject agentName } } }"
GRAPHQL_ERRORS = "customer_graph_upstream_graphql_errors_total"
ENTITIES = {
    "CG_SOURCES__SUPPORT__GRAPHQL__OPERATION": "entities",
    "CG_SOURCES__SUPPORT__GRAPHQL__FIELD": "tickets",
}


@pytest.fixture(scope="module")
def desk() -> SupportDesk:
    return SupportDesk(Dataset(SANDBOX_SETTINGS), SANDBOX_SETTINGS.seed)


def _documents(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [event["graphql"] for event in sandbox.stats()["support"]["events"]]


def _tickets(desk: SupportDesk, cid: str, *fields: str) -> list[dict[str, Any]]:
    values = {
        "subject": lambda t: t.subject,
        "agentName": lambda t: t.agent.name if t.agent else None,
        "when": lambda t: t.opened_at.isoformat(),
        "priority": lambda t: t.priority,
    }
    return [{f: values[f](t) for f in fields} for t in desk.tickets(cid)]


def test_one_operation_carries_only_the_selected_fields_through_aliases_and_fragments(
    gateway: Gateway, sandbox: Sandbox, desk: SupportDesk
) -> None:
    query = """
    query ($ids: [ID!]!) {
      customers(ids: $ids) {
        id
        tickets { when: openedAt ...Agent ... on SupportTicket { subject } }
        more: tickets { priority }
      }
    }
    fragment Agent on SupportTicket { agentName }
    """
    ids = ["1", "2", "3"]
    body = gateway.query(query, {"ids": ids})
    assert "errors" not in body
    assert body["data"]["customers"] == [
        {
            "id": cid,
            "tickets": _tickets(desk, cid, "when", "agentName", "subject"),
            "more": _tickets(desk, cid, "priority"),
        }
        for cid in ids
    ]
    assert sandbox.calls() == {"crm": 1, "orders": 0, "loyalty": 0, "preferences": 0, "support": 1}
    (document,) = _documents(sandbox)
    assert document == {
        "query": LIST_OPERATION % "agent { name } customerId openedAt priority subject",
        "variables": {"keys": ids},
        "operationName": "CustomerGraphBatch",
    }


def test_a_query_without_tickets_does_not_ask_the_desk(gateway: Gateway, sandbox: Sandbox) -> None:
    body = gateway.query('{ customers(ids: ["1", "2"]) { name loyalty { tier } } }')
    assert "errors" not in body
    assert sandbox.calls() == {"crm": 1, "orders": 0, "loyalty": 1, "preferences": 0}


def test_hundred_customers_are_one_upstream_operation(
    gateway: Gateway, sandbox: Sandbox, desk: SupportDesk
) -> None:
    ids = [str(i) for i in range(1, 101)]
    body = gateway.query(TICKETS, {"ids": ids})
    assert "errors" not in body
    assert [c["tickets"] for c in body["data"]["customers"]] == [
        _tickets(desk, cid, "subject", "agentName") for cid in ids
    ]
    assert sandbox.calls()["support"] == 1
    assert sandbox.stats()["support"]["ids"] == [ids]


def test_entities_operation_asks_the_desk_as_a_subgraph(
    sandbox: Sandbox, start_gateway: StartGateway, desk: SupportDesk
) -> None:
    ids = [str(i) for i in range(1, 101)]
    with start_gateway(uncached_settings(sandbox.url, **ENTITIES)) as url:
        body = Gateway(url).query(TICKETS, {"ids": ids})
    assert "errors" not in body
    assert [c["tickets"] for c in body["data"]["customers"]] == [
        _tickets(desk, cid, "subject", "agentName") for cid in ids
    ]
    (document,) = _documents(sandbox)
    assert document["query"] == ENTITIES_OPERATION % "agent { name } subject"
    assert document["variables"] == {
        "representations": [{"__typename": "Customer", "id": cid} for cid in ids]
    }


@pytest.mark.parametrize("settings", [{}, ENTITIES], ids=["list", "entities"])
def test_upstream_errors_fail_only_the_customers_they_concern(
    sandbox: Sandbox,
    start_gateway: StartGateway,
    desk: SupportDesk,
    settings: dict[str, str],
) -> None:
    # Customers 3 and 6 have tickets: their agents' lookups fail upstream.
    sandbox.set_faults(support={"error_every": 3})
    ids = ["1", "2", "3", "6"]
    with start_gateway(uncached_settings(sandbox.url, **settings)) as url:
        body = Gateway(url).query(TICKETS, {"ids": ids})
        failed = metric(Gateway(url), GRAPHQL_ERRORS, source="support")
    assert failed == 2
    customers = body["data"]["customers"]
    assert [c["tickets"] for c in customers[:2]] == [
        _tickets(desk, cid, "subject", "agentName") for cid in ("1", "2")
    ]
    assert [c["tickets"] for c in customers[2:]] == [None, None]
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert set(errors) == {("customers", 2, "tickets"), ("customers", 3, "tickets")}
    error = errors[("customers", 2, "tickets")]
    first = desk.tickets("3")[0]
    assert error["message"] == f"agent directory unavailable for ticket {first.id}"
    upstream = error["extensions"].pop("upstream")
    assert error["extensions"] == {"code": "UPSTREAM_ERROR", "source": "support", "customerId": "3"}
    assert upstream["message"] == error["message"]
    assert upstream["path"][0] in ("tickets", "_entities")
    assert upstream["path"][-1] == "agent"
    assert sandbox.calls()["support"] == 1


def test_an_error_of_the_whole_operation_fails_the_batch_and_nothing_else(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # Allowed more keys than the desk takes: it refuses the operation with a GraphQL error.
    ids = [str(i) for i in range(1, 102)]
    settings = uncached_settings(sandbox.url, CG_SOURCES__SUPPORT__GRAPHQL__MAX_BATCH_SIZE="200")
    with start_gateway(settings) as url:
        body = Gateway(url).query(
            "query ($ids: [ID!]!) { customers(ids: $ids) { id name tickets { subject } } }",
            {"ids": ids},
        )
        assert metric(Gateway(url), GRAPHQL_ERRORS, source="support") == len(ids)
    customers = body["data"]["customers"]
    assert all(c["tickets"] is None and c["name"] for c in customers)
    assert len(body["errors"]) == len(ids)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "UPSTREAM_ERROR"
    assert error["extensions"]["upstream"] == {
        "message": "at most 100 customer ids, got 101",
        "path": ["tickets"],
    }
    # The upstream answered: a GraphQL error is not retried.
    assert sandbox.calls()["support"] == 1


def test_invalid_values_are_typed_field_errors_and_the_rest_of_the_ticket_stands(
    gateway: Gateway, sandbox: Sandbox, desk: SupportDesk
) -> None:
    sandbox.set_faults(support={"invalid_every": 2})
    query = "query ($ids: [ID!]!) { customers(ids: $ids) { tickets { subject openedAt } } }"
    body = gateway.query(query, {"ids": ["1", "2"]})
    good, bad = body["data"]["customers"]
    assert good["tickets"] == [
        {"subject": t.subject, "openedAt": t.opened_at.isoformat()} for t in desk.tickets("1")
    ]
    assert bad["tickets"] == [{"subject": t.subject, "openedAt": None} for t in desk.tickets("2")]
    assert {tuple(e["path"]) for e in body["errors"]} == {
        ("customers", 1, "tickets", i, "openedAt") for i in range(len(desk.tickets("2")))
    }
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UPSTREAM_DATA_INVALID"}


def test_an_answer_that_is_not_graphql_is_invalid_data(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    sandbox.set_faults(support={"fail_next": 1, "status": 200})
    with start_gateway(uncached_settings(sandbox.url)) as url:
        body = Gateway(url).query(TICKETS, {"ids": ["1"]})
    assert body["data"]["customers"] == [{"id": "1", "tickets": None}]
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "UPSTREAM_DATA_INVALID", "source": "support"}
    assert "expected a GraphQL response" in error["message"]


def test_a_hanging_desk_times_out_alone(sandbox: Sandbox, start_gateway: StartGateway) -> None:
    settings = uncached_settings(sandbox.url, CG_SERVER__REQUEST_DEADLINE="0.5")
    sandbox.set_faults(support={"hang": True})
    with start_gateway(settings) as url:
        body = Gateway(url).query(
            "query ($ids: [ID!]!) { customers(ids: $ids) { name tickets { subject } } }",
            {"ids": ["1"]},
        )
    (customer,) = body["data"]["customers"]
    assert customer["name"] is not None
    assert customer["tickets"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UPSTREAM_TIMEOUT"]


def test_four_rest_sources_and_the_graphql_source_are_asked_in_one_round(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    apis = ("crm", "orders", "loyalty", "preferences", "support")
    sandbox.set_faults(**{api: {"latency_ms": 100} for api in apis})
    query = """
    query ($ids: [ID!]!) {
      customers(ids: $ids) {
        name orders { totalCount } loyalty { tier } preferences { channel } tickets { subject }
      }
    }
    """
    body = gateway.query(query, {"ids": [str(i) for i in range(1, 11)]})
    assert "errors" not in body
    assert sandbox.calls() == dict.fromkeys(apis, 1)
    events = [e for s in sandbox.stats().values() for e in s["events"]]
    assert max(e["arrived"] for e in events) < min(e["answered"] for e in events)


def test_cached_tickets_serve_the_fields_they_were_asked_with_and_no_errors(
    sandbox: Sandbox, start_gateway: StartGateway, desk: SupportDesk
) -> None:
    subjects = "query ($ids: [ID!]!) { customers(ids: $ids) { tickets { subject } } }"
    ids = ["1", "2", "3"]
    sandbox.set_faults(support={"error_every": 3})
    with start_gateway(sandbox_settings(sandbox.url), clock=ManualClock()) as url:
        gateway = Gateway(url)
        first = gateway.query(TICKETS, {"ids": ids})
        assert [e["path"] for e in first["errors"]] == [["customers", 2, "tickets"]]
        sandbox.set_faults(support={})
        # Subjects alone: customers 1 and 2 come from the cache, 3 (failed) is asked again.
        again = gateway.query(subjects, {"ids": ids})
        assert "errors" not in again
        assert [c["tickets"] for c in again["data"]["customers"]] == [
            _tickets(desk, cid, "subject") for cid in ids
        ]
        # A field the cached records were not asked for: the desk is asked for it.
        gateway.query(
            "query ($ids: [ID!]!) { customers(ids: $ids) { tickets { priority } } }", {"ids": ids}
        )
    asked = [(d["variables"]["keys"], d["query"]) for d in _documents(sandbox)]
    assert asked == [
        (ids, LIST_OPERATION % "agent { name } customerId subject"),
        (["3"], LIST_OPERATION % "customerId subject"),
        (ids, LIST_OPERATION % "customerId priority"),
    ]
