"""The benchmark's Python floor is honest: the gateway's answers, with the gateway's calls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bench import floor, queries
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox, sandbox_settings

# The benchmark's three sizes, with an unknown id and a repeated one among them.
CASES = {
    "small query": (queries.SMALL, {"id": "7"}),
    "small query, unknown id": (queries.SMALL, {"id": "99999999"}),
    "100 customers with 3 orders": (queries.TWO_SOURCES, {"ids": queries.ids(100)}),
    "1,000 customers with orders": (queries.LARGE_LIST, {"ids": queries.ids(1000)}),
    "unknown and repeated ids": (
        queries.TWO_SOURCES,
        {"ids": ["3", "99999999", "3", *queries.ids(60, start=100)]},
    ),
}


@pytest.fixture(scope="module")
def floor_url(sandbox_server: Sandbox) -> Iterator[str]:
    sources = sandbox_settings(sandbox_server.url).sources
    app = floor.create_app(
        sandbox_server.url,
        crm_batch=sources["crm"].max_batch_size,
        orders_batch=sources["orders"].max_batch_size,
    )
    with run_in_thread(app) as url:
        yield url


def _calls(sandbox: Sandbox) -> list[tuple[str, str]]:
    """Every upstream request since the last reset, as (path, query), in a stable order."""
    events = [e for api in sandbox.stats().values() for e in api["events"]]
    return sorted((e["path"], e["query"]) for e in events)


def _floor_answer(url: str, query: str, variables: dict[str, Any]) -> Any:
    response = httpx.post(url + "/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("case", sorted(CASES))
def test_floor_answers_as_the_gateway_with_the_same_upstream_calls(
    case: str, gateway: Gateway, sandbox: Sandbox, floor_url: str
) -> None:
    query, variables = CASES[case]
    expected = gateway.query(query, variables)
    gateway_calls = _calls(sandbox)
    sandbox.reset()
    answer = _floor_answer(floor_url, query, variables)
    assert "errors" not in expected
    assert answer == expected
    assert _calls(sandbox) == gateway_calls


def test_floor_refuses_a_query_it_was_not_written_for(floor_url: str) -> None:
    response = httpx.post(floor_url + "/graphql", json={"query": "{ customer(id: 1) { id } }"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]
