"""Mutations are held to what they cause upstream: list inputs to the list-size limit,
each operation to a number of upstream writes, each write to the caller's rate, and every
text to its field's length, all before anything is written."""

from __future__ import annotations

from typing import Any

from tests.conftest import FakeTimer, Gateway, Sandbox, StartGateway, sandbox_settings

# Customers no other module compares with the generated data.
PREFERENCES = """
mutation ($id: ID!, $input: [ChannelPreferenceInput!]!) {
  updatePreferences(customerId: $id, input: $input) { id }
}
"""
PROFILE = """
mutation ($id: ID!, $input: ProfileInput!) {
  updateProfile(customerId: $id, input: $input) { city }
}
"""


def channels(count: int, language: str = "de") -> list[dict[str, Any]]:
    return [{"channel": "SMS", "optIn": i % 2 == 0, "language": language} for i in range(count)]


def writes(sandbox: Sandbox) -> int:
    return sum(
        1
        for api in ("crm", "preferences")
        for e in sandbox.stats()[api]["events"]
        if e["method"] in ("PUT", "PATCH")
    )


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    (error,) = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return {"message": error["message"], **extensions}


def test_the_probes_three_thousand_item_input_is_refused_before_any_call(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body = gateway.query(PREFERENCES, {"id": "9201", "input": channels(3000)})
    assert body["data"] is None
    assert error_of(body) == {
        "message": "query asks for a list of 3000 items; at most 1000 are allowed for "
        "anonymous clients",
        "code": "QUERY_LIMIT_EXCEEDED",
        "limit": "listSize",
        "max": 1000,
        "actual": 3000,
    }
    assert sum(sandbox.calls().values()) == 0


def test_an_operation_may_cause_only_so_many_upstream_writes(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body = gateway.query(PREFERENCES, {"id": "9202", "input": channels(21)})
    assert body["data"] == {"updatePreferences": None}
    assert error_of(body) == {
        "message": "the operation would cause 21 upstream writes; at most 20 are allowed "
        "for anonymous clients",
        "code": "QUERY_LIMIT_EXCEEDED",
        "limit": "writes",
        "max": 20,
        "actual": 21,
    }
    assert sum(sandbox.calls().values()) == 0
    assert "errors" not in gateway.query(PREFERENCES, {"id": "9202", "input": channels(20)})
    assert writes(sandbox) == 20


def test_the_write_allowance_is_the_whole_operations(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    three = """mutation ($input: [ChannelPreferenceInput!]!) {
      a: updateProfile(customerId: "9203", input: {city: "Arles"}) { city }
      b: updatePreferences(customerId: "9203", input: $input) { id }
    }"""
    settings = sandbox_settings(sandbox.url, CG_LIMITS__QUERY__MAX_WRITES="2")
    with start_gateway(settings, timer=FakeTimer()) as url:
        gateway = Gateway(url)
        body = gateway.query(three, {"input": channels(2)})
        # Mutations run in order: the first is written, the second would pass the limit.
        assert body["data"] == {"a": {"city": "Arles"}, "b": None}
        assert error_of(body)["limit"] == "writes"
        assert writes(sandbox) == 1
        # The next operation has an allowance of its own.
        assert "errors" not in gateway.query(PREFERENCES, {"id": "9203", "input": channels(2)})
    assert writes(sandbox) == 3


def test_each_upstream_write_counts_against_the_rate_limit(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    settings = sandbox_settings(sandbox.url, CG_LIMITS__RATE__ANONYMOUS="6/minute")
    with start_gateway(settings, timer=FakeTimer()) as url:
        gateway = Gateway(url)
        # One request and four writes: five of six.
        assert "errors" not in gateway.query(PREFERENCES, {"id": "9204", "input": channels(4)})
        # One request, then two writes that do not fit.
        body = gateway.query(PREFERENCES, {"id": "9204", "input": channels(2)})
        assert body["data"] == {"updatePreferences": None}
        assert error_of(body)["code"] == "RATE_LIMITED"
        assert writes(sandbox) == 4
        assert gateway.http.post("/graphql", json={"query": "{ __typename }"}).status_code == 429


def test_a_text_longer_than_its_field_allows_is_refused_before_any_write(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body = gateway.query(PROFILE, {"id": "9205", "input": {"city": "x" * 500_000}})
    assert body["data"] == {"updateProfile": None}
    assert error_of(body) == {
        "message": "city is 500000 characters long; at most 100 are allowed",
        "code": "BAD_USER_INPUT",
        "source": "crm",
    }
    # The second item is too long: the first is not written either.
    items = [*channels(1), *channels(1, language="x" * 36)]
    body = gateway.query(PREFERENCES, {"id": "9205", "input": items})
    assert error_of(body)["message"] == "language is 36 characters long; at most 35 are allowed"
    assert writes(sandbox) == 0
    body = gateway.query(PROFILE, {"id": "9205", "input": {"city": "y" * 100}})
    assert body == {"data": {"updateProfile": {"city": "y" * 100}}}
