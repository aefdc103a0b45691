"""Benchmark scenario 1 as a test: the four-source query makes exactly the minimum of calls."""

from __future__ import annotations

import pytest

from bench.queries import FOUR_SOURCES
from bench.scenarios.calls import minimum_calls
from tests.conftest import Gateway, Sandbox, sandbox_settings

# ceil(N / batch limit) per source; limits: crm 100, orders 50, loyalty 100, preferences 200.
MINIMUM = {
    1: {"crm": 1, "orders": 1, "loyalty": 1, "preferences": 1},
    10: {"crm": 1, "orders": 1, "loyalty": 1, "preferences": 1},
    100: {"crm": 1, "orders": 2, "loyalty": 1, "preferences": 1},
    1000: {"crm": 10, "orders": 20, "loyalty": 10, "preferences": 5},
}


@pytest.mark.parametrize("n", sorted(MINIMUM))
def test_four_source_query_makes_the_minimum_of_upstream_calls(
    n: int, gateway: Gateway, sandbox: Sandbox
) -> None:
    ids = [str(i) for i in range(1, n + 1)]
    body = gateway.query(FOUR_SOURCES, {"ids": ids})
    assert "errors" not in body
    assert [c["id"] for c in body["data"]["customers"]] == ids
    assert sandbox.calls() == MINIMUM[n]


@pytest.mark.parametrize("n", sorted(MINIMUM))
def test_benchmark_minimum_follows_the_configured_batch_limits(n: int, sandbox: Sandbox) -> None:
    limits = {
        name: source.max_batch_size
        for name, source in sandbox_settings(sandbox.url).sources.items()
        if source.format != "graphql"
    }
    assert minimum_calls(n, limits) == MINIMUM[n]
