"""Scenario 1: upstream calls of the four-source query against the minimum, for N customers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bench import queries
from bench.plan import Plan
from bench.servers import Missing, Server
from bench.stack import Stack


def minimum_calls(n: int, max_batch: Mapping[str, int]) -> dict[str, int]:
    """One call per source, or ceil(N / its batch limit) when N is larger."""
    return {source: math.ceil(n / size) for source, size in max_batch.items()}


def max_batch_sizes(stack: Stack) -> dict[str, int]:
    # The four-source query asks the REST sources, not the support desk.
    return {
        name: source.max_batch_size
        for name, source in stack.gateway_settings().sources.items()
        if source.format != "graphql"
    }


def run(stack: Stack, plan: Plan) -> dict[str, Any]:
    limits = max_batch_sizes(stack)
    rows = []
    for n in plan.call_sizes:
        ids = queries.ids(n)
        minimum = minimum_calls(n, limits)
        row: dict[str, Any] = {"n": n, "minimum": minimum}
        row["gateway"] = _count(
            stack, stack.gateway(cache=False), queries.customers_body(queries.FOUR_SOURCES, ids), n
        )
        row["naive"] = _count(
            stack, stack.naive(), queries.customers_body(queries.FOUR_SOURCES, ids), n
        )
        row["hive"] = _count(stack, stack.hive(), queries.hive_customers_body(ids), n)
        row["tailcall"] = _count(stack, stack.tailcall(), queries.tailcall_customers_body(ids), n)
        row["hive_minimum"] = {k: v for k, v in minimum.items() if k in ("crm", "orders")}
        row["hive_orders_batched"] = queries.hive_orders_batched(n)
        row["gateway_at_minimum"] = row["gateway"].get("calls") == minimum
        rows.append(row)
    return {"limits": limits, "rows": rows}


def _count(stack: Stack, server: Server | Missing, body: bytes, n: int) -> dict[str, Any]:
    if isinstance(server, Missing):
        return {"error": server.reason}
    stack.reset_calls()
    answer = stack.post(server, body)
    calls = stack.calls()
    result: dict[str, Any] = {
        "calls": {k: v for k, v in calls.items() if v},
        "total": sum(calls.values()),
    }
    problem = queries.problem(answer, n)
    if problem:
        result["error"] = problem
    return result
