"""The GraphQL-over-HTTP spec, for both response media types, and request batching.

With ``application/graphql-response+json`` a request error (nothing executed) gets a 4xx
and no ``data``; with ``application/json`` a well-formed request is answered 200. What is
not a well-formed GraphQL-over-HTTP request gets its 4xx either way, always as a GraphQL
error body with ``extensions.code``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox, sandbox_settings
from tests.graphql_ws import PROTOCOL

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
BOTH = pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])


def post(gateway: Gateway, body: Any, accept: str, **headers: str) -> httpx.Response:
    return gateway.http.post("/graphql", json=body, headers={"accept": accept, **headers})


def refused(response: httpx.Response, accept: str, code: str, strict_status: int) -> dict[str, Any]:
    """A request error: 4xx without data under graphql-response+json, 200 under JSON."""
    assert response.headers["content-type"].startswith(accept)
    body: dict[str, Any] = response.json()
    assert body["errors"][0]["extensions"]["code"] == code, body
    if accept == GRAPHQL_RESPONSE:
        assert response.status_code == strict_status
        assert "data" not in body
    else:
        assert response.status_code == 200
        assert body.get("data") is None
    return body


@BOTH
def test_a_successful_query_is_answered_in_the_accepted_type(gateway: Gateway, accept: str) -> None:
    response = post(gateway, {"query": '{ customer(id: "7") { name } }'}, accept)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    assert response.json() == {"data": {"customer": {"name": "Elsa Johansson"}}}


def test_without_accept_the_answer_is_application_json(gateway: Gateway) -> None:
    response = gateway.http.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"content-type": JSON}
    )
    assert response.headers["content-type"].startswith(JSON)
    both = f"{JSON}, {GRAPHQL_RESPONSE};q=0.5"
    assert post(gateway, {"query": "{ __typename }"}, both).headers["content-type"] == JSON


@BOTH
def test_a_syntax_error_is_a_parse_failure(gateway: Gateway, accept: str) -> None:
    refused(post(gateway, {"query": "{ customer("}, accept), accept, "GRAPHQL_PARSE_FAILED", 400)


@BOTH
def test_an_unknown_field_is_a_validation_failure(gateway: Gateway, accept: str) -> None:
    body = refused(
        post(gateway, {"query": "{ nope }"}, accept), accept, "GRAPHQL_VALIDATION_FAILED", 400
    )
    assert "nope" in body["errors"][0]["message"]


@BOTH
def test_variables_that_do_not_fit_are_bad_user_input(gateway: Gateway, accept: str) -> None:
    query = "query ($id: ID!) { customer(id: $id) { id } }"
    response = post(gateway, {"query": query, "variables": {"id": {"no": 1}}}, accept)
    refused(response, accept, "BAD_USER_INPUT", 400)
    refused(post(gateway, {"query": query}, accept), accept, "BAD_USER_INPUT", 400)


@BOTH
def test_several_operations_need_an_operation_name(gateway: Gateway, accept: str) -> None:
    query = 'query A { customer(id: "3") { id } } query B { customer(id: "5") { id } }'
    refused(post(gateway, {"query": query}, accept), accept, "OPERATION_RESOLUTION_FAILURE", 400)
    unknown = post(gateway, {"query": query, "operationName": "C"}, accept)
    refused(unknown, accept, "OPERATION_RESOLUTION_FAILURE", 400)
    chosen = post(gateway, {"query": query, "operationName": "B"}, accept)
    assert chosen.json() == {"data": {"customer": {"id": "5"}}}


@BOTH
def test_a_query_over_a_limit_is_refused_before_running(gateway: Gateway, accept: str) -> None:
    ids = ", ".join(f'"{i}"' for i in range(1001))
    response = post(gateway, {"query": f"{{ customers(ids: [{ids}]) {{ id }} }}"}, accept)
    refused(response, accept, "QUERY_LIMIT_EXCEEDED", 400)


@BOTH
def test_a_field_error_is_a_200_with_data(gateway: Gateway, sandbox: Sandbox, accept: str) -> None:
    sandbox.set_faults(loyalty={"failure_rate": 1.0})
    response = post(gateway, {"query": '{ customer(id: "7") { name loyalty { tier } } }'}, accept)
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["customer"]["name"] == "Elsa Johansson"
    assert body["errors"][0]["extensions"]["source"] == "loyalty"


@BOTH
def test_a_mutation_over_get_is_405_with_allow(gateway: Gateway, accept: str) -> None:
    response = gateway.http.get(
        "/graphql",
        params={"query": 'mutation { updateProfile(customerId: "7", input: {}) { id } }'},
        headers={"accept": accept},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@BOTH
def test_other_methods_are_405_with_allow(gateway: Gateway, accept: str) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = gateway.http.request(method, "/graphql", headers={"accept": accept})
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@BOTH
@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
        {"content-type": "application/json; charset=latin-1"},
        {"content-type": "application/json", "content-encoding": "br"},
    ],
)
def test_an_unsupported_body_type_is_415(
    gateway: Gateway, accept: str, headers: dict[str, str]
) -> None:
    response = gateway.http.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"accept": accept, **headers}
    )
    assert response.status_code == 415
    assert response.headers["content-type"].startswith(accept)
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


@BOTH
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "no 'query'"),
        ({"query": ""}, "no 'query'"),
        ({"query": 5}, "'query' must be a string"),
        ({"query": "{ __typename }", "variables": [1]}, "'variables' must be an object"),
        ({"query": "{ __typename }", "operationName": 5}, "'operationName' must be a string"),
        ({"query": "{ __typename }", "extensions": "x"}, "'extensions' must be an object"),
    ],
)
def test_mistyped_parameters_are_400(
    gateway: Gateway, accept: str, body: dict[str, Any], message: str
) -> None:
    response = post(gateway, body, accept)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(accept)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert message in error["message"]


def test_a_client_that_accepts_no_json_is_406(gateway: Gateway) -> None:
    response = post(gateway, {"query": "{ __typename }"}, "text/html")
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


@BOTH
def test_an_unknown_persisted_query(gateway: Gateway, accept: str) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    response = post(gateway, {"extensions": extensions}, accept)
    refused(response, accept, "PERSISTED_QUERY_NOT_FOUND", 400)
    assert response.json()["errors"][0]["message"] == "PersistedQueryNotFound"


@BOTH
def test_a_subscription_over_plain_http_is_told_to_stream(gateway: Gateway, accept: str) -> None:
    response = post(gateway, {"query": "subscription { customerChanged { customerId } }"}, accept)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "text/event-stream" in error["message"]


def test_a_subscription_streams_over_sse(gateway: Gateway) -> None:
    query = 'subscription { customerChanged(ids: ["7"]) { nope } }'
    with gateway.http.stream(
        "POST",
        "/graphql",
        json={"query": query},
        headers={"accept": "text/event-stream"},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.read().decode()
    # A document the validation refuses is one error event, then the stream completes.
    assert "event: next" in text
    assert "GRAPHQL_VALIDATION_FAILED" in text
    assert "event: complete" in text


def test_websocket_messages_are_text_frames(gateway: Gateway) -> None:
    url = gateway.url.replace("http", "ws") + "/graphql"
    with connect(url, subprotocols=[PROTOCOL]) as connection:  # type: ignore[list-item]
        connection.send('{"type": "connection_init", "payload": {}}')
        ack = connection.recv(timeout=10)
    assert isinstance(ack, str)
    assert ack == '{"type":"connection_ack"}'


def test_batching_is_off_by_default(gateway: Gateway) -> None:
    response = post(gateway, [{"query": "{ __typename }"}], JSON)
    assert response.status_code == 400
    assert "batching is off" in response.json()["errors"][0]["message"]


@pytest.fixture(scope="module")
def batching(sandbox_server: Sandbox) -> Iterator[Gateway]:
    settings = sandbox_settings(
        sandbox_server.url,
        CG_HTTP__MAX_BATCH="4",
        CG_CACHE__ENABLED="false",
    )
    with run_in_thread(create_app(settings)) as url:
        yield Gateway(url)


def test_a_batch_answers_each_operation_as_if_sent_alone(
    batching: Gateway, sandbox: Sandbox
) -> None:
    ids = ", ".join(f'"{i}"' for i in range(1001))
    response = post(
        batching,
        [
            {"query": "query ($id: ID!) { customer(id: $id) { name } }", "variables": {"id": "7"}},
            {"query": '{ customer(id: "3") { loyalty { tier } } }'},
            {"query": f"{{ customers(ids: [{ids}]) {{ id }} }}"},
        ],
        JSON,
    )
    assert response.status_code == 200
    first, second, third = response.json()
    assert first == {"data": {"customer": {"name": "Elsa Johansson"}}}
    assert second == {"data": {"customer": {"loyalty": {"tier": "GOLD"}}}}
    # Over its limit: refused in its place, the others ran.
    assert third["errors"][0]["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED"


def test_each_operation_of_a_batch_counts_against_the_rate_limit(sandbox: Sandbox) -> None:
    settings = sandbox_settings(
        sandbox.url, CG_HTTP__MAX_BATCH="4", CG_LIMITS__RATE__ANONYMOUS="3/minute"
    )
    with run_in_thread(create_app(settings)) as url:
        # The request counts once, as the first operation; operations 2 and 3 take the
        # rest of the 3 per minute, and the fourth is refused in its place.
        response = post(Gateway(url), [{"query": "{ __typename }"}] * 4, JSON)
    assert response.status_code == 200
    answers = response.json()
    assert answers[:3] == [{"data": {"__typename": "Query"}}] * 3
    assert answers[3]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_a_batch_over_the_maximum_is_refused(batching: Gateway) -> None:
    response = post(batching, [{"query": "{ __typename }"}] * 5, JSON)
    assert response.status_code == 400
    assert "at most 4" in response.json()["errors"][0]["message"]
