"""The sandbox's GraphQL support desk, served by a real uvicorn and asked over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox import SandboxSettings, create_app, parse_fault_spec
from sandbox.data import Dataset
from sandbox.server import run_in_thread
from sandbox.support import SupportDesk

SETTINGS = SandboxSettings(customers=1_000, seed=7)
LIST = "query Tickets($ids: [ID!]!) { tickets(customerIds: $ids) { id customerId %s } }"
ENTITIES = (
    "query Entities($r: [_Any!]!) { _entities(representations: $r) "
    "{ ... on Customer { id tickets { id %s } } } }"
)


@pytest.fixture(scope="module")
def desk() -> SupportDesk:
    return SupportDesk(Dataset(SETTINGS), SETTINGS.seed)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_in_thread(create_app(SETTINGS)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        http.post("/_stats/reset")
        http.delete("/_faults")
        yield http
        http.delete("/_faults")


def _ask(client: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    response = client.post("/support/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _representations(*ids: str) -> list[dict[str, str]]:
    return [{"__typename": "Customer", "id": cid} for cid in ids]


def test_list_field_answers_many_customers_in_the_order_asked(
    client: httpx.Client, desk: SupportDesk
) -> None:
    body = _ask(client, LIST % "subject status priority openedAt", ids=["5", "2", "5"])
    expected = [t for cid in ("5", "2") for t in desk.tickets(cid)]
    assert expected, "the seed gives these customers tickets"
    assert [t["id"] for t in body["data"]["tickets"]] == [t.id for t in expected]
    first, record = body["data"]["tickets"][0], expected[0]
    assert (first["subject"], first["status"], first["priority"]) == (
        record.subject,
        record.status,
        record.priority,
    )
    assert first["openedAt"] == record.opened_at.isoformat().replace("+00:00", "Z")


def test_entities_resolve_customers_with_their_tickets(
    client: httpx.Client, desk: SupportDesk
) -> None:
    body = _ask(client, ENTITIES % "agent { name email }", r=_representations("3", "999999"))
    known, unknown = body["data"]["_entities"]
    assert [t["id"] for t in known["tickets"]] == [t.id for t in desk.tickets("3")]
    assert unknown == {"id": "999999", "tickets": []}
    sdl = _ask(client, "{ _service { sdl } }")["data"]["_service"]["sdl"]
    assert 'type Customer @key(fields: "id")' in sdl
    assert "tickets(customerIds: [ID!]!): [Ticket!]!" in sdl


def test_received_documents_and_keys_are_recorded(client: httpx.Client) -> None:
    query = LIST % "subject"
    _ask(client, query, ids=["1", "2"])
    _ask(client, ENTITIES % "status", r=_representations("4"))
    stats = client.get("/_stats").json()["support"]
    assert stats["requests"] == 2
    assert stats["ids"] == [["1", "2"], ["4"]]
    assert stats["events"][0]["graphql"] == {
        "query": query,
        "variables": {"ids": ["1", "2"]},
        "operationName": None,
    }
    assert stats["events"][0]["path"] == "/support/graphql"


def test_too_many_customers_is_a_graphql_error(client: httpx.Client) -> None:
    body = _ask(client, LIST % "subject", ids=[str(i) for i in range(1, 102)])
    assert body["data"] is None
    assert "at most 100 customer ids" in body["errors"][0]["message"]


def test_error_fault_fails_the_agents_of_every_nth_customer_and_keeps_the_rest(
    client: httpx.Client, desk: SupportDesk
) -> None:
    client.put("/_faults", json={"support": {"error_every": 3}})
    assigned = [str(cid) for cid in range(1, 100) if any(t.agent for t in desk.tickets(str(cid)))]
    hit = next(cid for cid in assigned if int(cid) % 3 == 0)
    spared = next(cid for cid in assigned if int(cid) % 3)
    body = _ask(client, LIST % "agent { name }", ids=[hit, spared])
    tickets = body["data"]["tickets"]
    assert [t["id"] for t in tickets] == [t.id for cid in (hit, spared) for t in desk.tickets(cid)]
    failed = {tuple(e["path"]) for e in body["errors"]}
    assert failed == {
        ("tickets", i, "agent") for i, t in enumerate(tickets) if t["customerId"] == hit
    }
    assert all(t["agent"] is None for t in tickets if t["customerId"] == hit)
    assert any(t["agent"] is not None for t in tickets if t["customerId"] == spared)
    # A query that does not select the agent does not meet the failure.
    assert "errors" not in _ask(client, LIST % "subject", ids=[hit])


def test_invalid_fault_sends_unusable_timestamps(client: httpx.Client) -> None:
    client.put("/_faults", json={"support": {"invalid_every": 2}})
    tickets = _ask(client, LIST % "openedAt", ids=["2", "3"])["data"]["tickets"]
    assert {t["openedAt"] for t in tickets if t["customerId"] == "2"} == {"not a timestamp"}
    assert "not a timestamp" not in {t["openedAt"] for t in tickets if t["customerId"] == "3"}


def test_http_faults_apply_to_the_desk_too(client: httpx.Client) -> None:
    client.put("/_faults", json={"support": {"fail_next": 1, "status": 503}})
    failed = client.post("/support/graphql", json={"query": LIST % "id", "variables": {}})
    assert failed.status_code == 503
    assert client.get("/_stats").json()["support"]["events"][0]["status"] == 503


def test_fault_spec_text_reaches_the_graphql_faults() -> None:
    faults = parse_fault_spec("support=error_every:5,invalid_every:7")
    assert (faults["support"].error_every, faults["support"].invalid_every) == (5, 7)
    with pytest.raises(ValueError, match="error_every and invalid_every must be >= 0"):
        parse_fault_spec("support=error_every:-1")
