"""No body the gateway cannot use gets a 5xx: each is a 4xx GraphQL-shaped error, and the
connection stays usable for the next request.

The named cases are the outside probe's (issue 19); the property tests send arbitrary
bytes, arbitrary JSON values and generated GraphQL documents to the real gateway.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from schema import build_schema
from tests.conftest import Gateway

JSON = {"content-type": "application/json"}
DEEP = 100_000
CASES = {
    "a number": b"42",
    "a string": b'"hello"',
    "null": b"null",
    "a list where batching is off": b'[{"query": "{ __typename }"}]',
    "invalid UTF-8": b'{"query": "{ \xff }"}',
    "a lone surrogate escape": b'{"query": "\\ud800"}',
    "variables nested 100,000 deep": b'{"query": "{ __typename }", "variables": '
    + b'{"a": ' * DEEP
    + b"1"
    + b"}" * DEEP
    + b"}",
    "lists nested 100,000 deep": b"[" * DEEP + b"]" * DEEP,
    "a number as operationName": b'{"query": "{ __typename }", "operationName": 5}',
    "truncated JSON": b'{"query": "{ __typename }"',
    "an empty body": b"",
}


def local_port(response: httpx.Response) -> Any:
    return response.extensions["network_stream"].get_extra_info("client_addr")


def assert_refused(response: httpx.Response, status: int | None = None) -> None:
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status
    body = response.json()
    assert body["errors"][0]["extensions"]["code"]
    assert "data" not in body
    assert response.headers.get("connection") != "close"


@pytest.mark.parametrize("body", CASES.values(), ids=CASES.keys())
def test_an_unusable_body_is_a_400_on_a_connection_that_stays_open(
    gateway: Gateway, body: bytes
) -> None:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        before = local_port(client.post("/graphql", json={"query": "{ __typename }"}))
        response = client.post("/graphql", content=body, headers=JSON)
        assert_refused(response, 400)
        assert local_port(response) == before
        after = client.post("/graphql", json={"query": "{ __typename }"})
        assert after.json() == {"data": {"__typename": "Query"}}
        # The same socket all along: the refusal did not cost the connection.
        assert local_port(after) == before


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_body_is_decoded(gateway: Gateway, encoding: str) -> None:
    raw = b'{"query": "{ customer(id: \\"7\\") { name } }"}'
    body = gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)
    response = gateway.http.post(
        "/graphql", content=body, headers={**JSON, "content-encoding": encoding}
    )
    assert response.json() == {"data": {"customer": {"name": "Elsa Johansson"}}}


def test_a_compressed_body_is_held_to_the_body_limit_once_decoded(gateway: Gateway) -> None:
    # 1 KB on the wire, 4 MB decoded: refused without decoding more than the limit.
    bomb = gzip.compress(b'{"query": "{ __typename }", "x": "' + b" " * 4_000_000 + b'"}')
    assert len(bomb) < 10_000
    response = gateway.http.post(
        "/graphql", content=bomb, headers={**JSON, "content-encoding": "gzip"}
    )
    assert_refused(response, 413)
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    ("body", "encoding"),
    [(b"not gzip at all", "gzip"), (gzip.compress(b'{"query": "{}"}')[:-6], "gzip")],
    ids=["not gzip", "truncated gzip"],
)
def test_a_broken_compressed_body_is_a_400(gateway: Gateway, body: bytes, encoding: str) -> None:
    response = gateway.http.post(
        "/graphql", content=body, headers={**JSON, "content-encoding": encoding}
    )
    assert_refused(response, 400)


def test_an_unknown_content_encoding_is_415(gateway: Gateway) -> None:
    response = gateway.http.post(
        "/graphql", content=b"{}", headers={**JSON, "content-encoding": "zstd"}
    )
    assert_refused(response, 415)


# Property tests: every answer is JSON, no answer is a 5xx, and a request refused before
# running (no data) says why with a code.
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
OPERATION_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "query": JSON_VALUES | st.text(),
        "variables": JSON_VALUES,
        "operationName": JSON_VALUES,
        "extensions": JSON_VALUES,
    },
)
SCHEMA_SDL = build_schema().as_str()


def assert_answered(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    answers = body if isinstance(body, list) else [body]
    for answer in answers:
        assert "data" in answer or "errors" in answer
        if answer.get("data") is None and "errors" in answer:
            for error in answer["errors"]:
                if error.get("path") is None:
                    assert error["extensions"]["code"], error


@PROPERTY
@given(body=st.binary(max_size=2000))
def test_arbitrary_bytes_are_answered_without_a_server_error(gateway: Gateway, body: bytes) -> None:
    assert_answered(gateway.http.post("/graphql", content=body, headers=JSON))


@PROPERTY
@given(value=JSON_VALUES | OPERATION_FIELDS)
def test_arbitrary_json_is_answered_without_a_server_error(gateway: Gateway, value: Any) -> None:
    assert_answered(gateway.http.post("/graphql", json=value))


@PROPERTY
@given(query=queries(SCHEMA_SDL))
def test_generated_documents_are_answered_without_a_server_error(
    gateway: Gateway, query: str
) -> None:
    assert_answered(gateway.http.post("/graphql", json={"query": query}))
