"""Scenario 4: a 1,000-customer list with ten fields and nested orders, no upstream latency.

``customerList(first:)`` stops at the CRM's page size (100), so the list is asked for as
``customers(ids: [1..1000])``: the same executor work, one query.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import inmemory, queries
from bench.measure import Case, interleaved
from bench.plan import Plan
from bench.profiling import profile_gateway
from bench.stack import Stack

FIRST_ORDERS = 5


def run(stack: Stack, plan: Plan, driver: str) -> dict[str, Any]:
    stack.set_latency(0)
    ids = queries.ids(plan.large_list_size)
    body = queries.customers_body(queries.LARGE_LIST, ids)
    warm = stack.gateway()
    stack.post(warm, body)
    cold = stack.gateway(cache=False)
    n = len(ids)
    cases = [
        Case("gateway", cold, [body], n),
        Case("gateway, fast path off", stack.gateway(cache=False, fast_path=False), [body], n),
        Case("gateway, warm cache", warm, [body], n),
        Case("Python floor", stack.floor(), [body], n, same_as=cold),
        Case(
            "Hive (CRM + all orders)",
            stack.hive(),
            [queries.hive_customers_body(ids, large=True)],
            n,
        ),
        Case(
            "Tailcall (CRM + all orders, one orders call per customer)",
            stack.tailcall(),
            [queries.tailcall_customers_body(ids, large=True)],
            n,
        ),
    ]
    rows = interleaved(
        stack,
        cases,
        rounds=plan.large_list_rounds,
        concurrency=1,
        seconds=plan.large_list_seconds,
        driver=driver,
    )

    records = inmemory.load_records(ids, stack.customers)
    run_strawberry = inmemory.strawberry_runner(records)
    variables: dict[str, Any] = {"ids": ids}
    references = {
        "plain Strawberry over in-memory objects": _median_ms(
            lambda: run_strawberry(queries.LARGE_LIST, variables), plan.reference_repeats
        ),
        "hand-written dict comprehension": _median_ms(
            lambda: inmemory.comprehension_result(records, FIRST_ORDERS), plan.reference_repeats
        ),
    }
    fields = len(records.customers) * 10 + sum(
        3 * min(FIRST_ORDERS, len(o)) for o in records.orders.values()
    )
    profile = profile_gateway(
        stack.production_settings(cache=False),
        body,
        {"x-api-key": stack.api_key},
        repeats=max(3, plan.reference_repeats // 3),
    )
    return {
        "customers": len(ids),
        "fields": fields,
        "rounds": plan.large_list_rounds,
        "round_seconds": plan.large_list_seconds,
        "rows": rows,
        "references_ms": references,
        "profile": profile,
    }


def _median_ms(work: Callable[[], object], repeats: int) -> float:
    work()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)
