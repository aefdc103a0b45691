"""The HTTP surface: GraphiQL for browsers, GraphQL errors instead of server errors."""

from __future__ import annotations

import httpx
import orjson

from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox, uncached_settings


def test_graphiql_is_served_to_a_browser(gateway: Gateway) -> None:
    response = gateway.http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "graphiql" in response.text.lower()


def test_query_over_get(gateway: Gateway) -> None:
    response = gateway.http.get("/graphql", params={"query": '{ customer(id: "1") { id } }'})
    assert response.status_code == 200
    assert response.json() == {"data": {"customer": {"id": "1"}}}


def test_invalid_query_gets_a_graphql_error(gateway: Gateway) -> None:
    response = gateway.http.post("/graphql", json={"query": "{ customer(id: 1) { nope } }"})
    assert response.status_code in (200, 400)
    errors = response.json()["errors"]
    assert any("nope" in e["message"] for e in errors)


def test_syntax_error_gets_a_graphql_error(gateway: Gateway) -> None:
    response = gateway.http.post("/graphql", json={"query": "{ customer(id: "})
    assert response.status_code in (200, 400)
    assert response.json()["errors"][0]["message"].startswith("Syntax Error")


def test_malformed_body_is_a_client_error(gateway: Gateway) -> None:
    response = gateway.http.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_health_and_readiness(gateway: Gateway) -> None:
    assert gateway.http.get("/healthz").json() == {"status": "ok"}
    assert gateway.http.get("/readyz").status_code == 200


def test_metrics_count_upstream_calls(gateway: Gateway) -> None:
    gateway.query('{ customer(id: "11") { email } }')
    text = gateway.http.get("/metrics").text
    line = next(
        ln
        for ln in text.splitlines()
        if ln.startswith('customer_graph_upstream_requests_total{outcome="ok",source="crm"}')
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1


def test_upstream_failure_is_a_typed_field_error(gateway: Gateway, sandbox: Sandbox) -> None:
    sandbox.set_faults(loyalty={"failure_rate": 1.0, "status": 500})
    body = gateway.query('{ customer(id: "2") { email loyalty { tier } } }')
    assert body["data"]["customer"]["email"] == sandbox.data.customer("2").email  # type: ignore[union-attr]
    assert body["data"]["customer"]["loyalty"] is None
    (error,) = body["errors"]
    assert error["path"] == ["customer", "loyalty"]
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "source": "loyalty"}


def test_a_repeated_query_is_answered_as_the_first_time(sandbox: Sandbox) -> None:
    # From the second request on the text runs as a prepared operation, answered without
    # Strawberry's view (gateway/app.py): same status, headers and bytes, same upstream calls.
    query = """query Mixed($id: ID!, $wide: Boolean!) {
      customer(id: $id) { id name ...More @include(if: $wide) }
      missing: customer(id: "999999999") { id }
    }
    fragment More on Customer { email loyalty { tier } orders(first: 2) { totalCount } }"""
    payload = {"query": query, "variables": {"id": "7", "wide": True}}
    app = create_app(uncached_settings(sandbox.url))
    answers = []
    with run_in_thread(app) as url:
        for _ in range(3):
            sandbox.reset()
            answers.append(httpx.post(f"{url}/graphql", json=payload, timeout=10))
            assert sandbox.calls() == {"crm": 1, "orders": 1, "loyalty": 1, "preferences": 0}
    # The second and third ran prepared.
    assert (app.state.gateway.fast_path.planned, app.state.gateway.fast_path.prepared) == (3, 2)

    def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [(k, v) for k, v in response.headers.items() if k not in _PER_REQUEST]
        return response.status_code, headers, response.content

    first = comparable(answers[0])
    assert orjson.loads(first[2])["data"]["missing"] is None
    assert comparable(answers[1]) == first
    assert comparable(answers[2]) == first


# Headers that differ between any two requests.
_PER_REQUEST = {"x-request-id", "date"}


def test_a_negative_page_size_is_refused_as_bad_input(gateway: Gateway, sandbox: Sandbox) -> None:
    query = '{ customer(id: "3") { id orders(first: -5) { totalCount } } }'
    # The second time the text runs as a prepared operation: the same refusal.
    for _ in range(2):
        body = gateway.query(query)
        assert body["data"] == {"customer": {"id": "3", "orders": None}}
        (error,) = body["errors"]
        assert error["path"] == ["customer", "orders"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}
        assert "negative" in error["message"]
    assert sandbox.calls()["orders"] == 2
