"""Reading a GraphQL upstream's answer: the shapes the sandbox's desk does not send."""

from __future__ import annotations

import pytest

from datasources.codecs import CodecError
from datasources.graphql.answer import read_answer
from datasources.graphql.operation import render
from datasources.model import compile_path

KEYS = ["1", "2", "3"]


def test_entities_without_a_field_are_the_records_themselves() -> None:
    body = {"data": {"_entities": [{"segment": "vip"}, None, {"segment": "retail"}]}}
    answer = read_answer(body, "_entities", KEYS, None, None)
    assert answer.records == {"1": [{"segment": "vip"}], "3": [{"segment": "retail"}]}
    assert answer.failures == {}
    assert answer.batch_failure is None


def test_an_entity_that_failed_alone_fails_its_customer() -> None:
    body = {
        "data": {"_entities": [{"tickets": []}, None, {"tickets": [{"id": "T"}]}]},
        "errors": [{"message": "no such customer", "path": ["_entities", 1]}],
    }
    answer = read_answer(body, "_entities", KEYS, None, compile_path("tickets"))
    assert answer.records == {"1": [], "3": [{"id": "T"}]}
    assert answer.failures == {"2": ("no such customer", ("_entities", 1))}


@pytest.mark.parametrize(
    "path",
    [None, ["other"], ["tickets", "x"], ["tickets", 9], ["tickets", 1, "agent"]],
    ids=["no path", "another field", "not an index", "past the end", "a null record"],
)
def test_an_error_no_customer_can_be_told_from_fails_the_batch(path: list[object]) -> None:
    error = {"message": "boom"} if path is None else {"message": "boom", "path": path}
    body = {"data": {"tickets": [{"customerId": "1"}, None]}, "errors": [error]}
    answer = read_answer(body, "tickets", KEYS, compile_path("customerId"), None)
    assert answer.batch_failure == ("boom", tuple(path or ()))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "expected a GraphQL response"),
        ({"data": {"_entities": [{}]}}, "expected 3 entities"),
        ({"data": {"_entities": {}}}, "expected a list at data._entities"),
        ({"data": None}, "no data at '_entities' and no errors"),
        ({"data": None, "errors": [{"path": []}]}, "every error to have a 'message'"),
        ({"data": None, "errors": {}}, "'errors' to be a list"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_unusable(body: object, reason: str) -> None:
    with pytest.raises(CodecError, match=reason):
        read_answer(body, "_entities", KEYS, None, None)


def test_paths_become_one_nested_selection() -> None:
    assert render(["agent.name", "subject", "agent.email", "lines.sku"]) == (
        "agent { email name } lines { sku } subject"
    )
    assert render([]) == "__typename"
