"""Scenario 2: p50 and p99 with latency in every upstream, against the critical path."""

from __future__ import annotations

from typing import Any

from bench import queries
from bench.measure import Case, interleaved
from bench.plan import Plan
from bench.stack import Stack


def run(stack: Stack, plan: Plan, driver: str) -> dict[str, Any]:
    # The entity cache is off, so every request pays the upstreams. Every source depends only
    # on the customer id, so one round is possible: the slowest source's latency is the bound.
    lower_bound = plan.latency_ms
    target = 1.2 * lower_bound + 5
    stack.set_latency(plan.latency_ms)
    rows = []
    try:
        for n in plan.latency_sizes:
            ids = queries.ids(n)
            four = [queries.customers_body(queries.FOUR_SOURCES, ids)]
            two = [queries.customers_body(queries.TWO_SOURCES, ids)]
            gateway = stack.gateway(cache=False)
            cases = [
                ("gateway, 4 sources", gateway, four, None),
                ("naive, 4 sources", stack.naive(), four, None),
                ("gateway, CRM + orders", gateway, two, None),
                ("naive, CRM + orders", stack.naive(), two, None),
                ("Python floor, CRM + orders", stack.floor(), two, gateway),
                ("Hive, CRM + orders", stack.hive(), [queries.hive_customers_body(ids)], None),
                (
                    "Tailcall, CRM + orders",
                    stack.tailcall(),
                    [queries.tailcall_customers_body(ids)],
                    None,
                ),
            ]
            rows += interleaved(
                stack,
                [
                    Case(name, server, bodies, n, labels={"n": n}, same_as=same_as)
                    for name, server, bodies, same_as in cases
                ],
                rounds=plan.latency_rounds,
                concurrency=1,
                seconds=plan.latency_seconds,
                driver=driver,
            )
    finally:
        stack.set_latency(0)
    return {
        "latency_ms": plan.latency_ms,
        "lower_bound_ms": lower_bound,
        "target_ms": target,
        "rounds": plan.latency_rounds,
        "round_seconds": plan.latency_seconds,
        "rows": rows,
    }
