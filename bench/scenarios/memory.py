"""Scenario 5: peak RSS of a fresh gateway after many distinct customers passed through it."""

from __future__ import annotations

import time
from typing import Any

from bench import queries
from bench.plan import Plan
from bench.stack import Stack

SAMPLES = 10


def run(stack: Stack, plan: Plan) -> dict[str, Any]:
    stack.set_latency(0)
    settings = stack.gateway_settings()
    total = min(plan.memory_customers, stack.customers)
    batch = plan.memory_batch
    step = max(batch, total // SAMPLES // batch * batch)
    samples = []
    started = time.perf_counter()
    with stack.fresh_gateway("gateway-memory") as gateway:
        # One small request first, so the baseline includes imports and the warm executor.
        stack.post(gateway, queries.customers_body(queries.FOUR_SOURCES, ["1"]))
        rss, peak = gateway.memory_kib()
        samples.append({"customers": 0, "rss_mib": rss / 1024, "peak_mib": peak / 1024})
        for start in range(1, total + 1, batch):
            ids = queries.ids(min(batch, total + 1 - start), start)
            answer = stack.post(gateway, queries.customers_body(queries.FOUR_SOURCES, ids))
            problem = queries.problem(answer, len(ids))
            if problem:
                return {"error": f"customers {start}..: {problem}"}
            passed = start + len(ids) - 1
            if passed % step == 0 or passed == total:
                rss, peak = gateway.memory_kib()
                samples.append(
                    {"customers": passed, "rss_mib": rss / 1024, "peak_mib": peak / 1024}
                )
    return {
        "customers": total,
        "query": f"four sources, customers(ids:) in batches of {batch}",
        "seconds": time.perf_counter() - started,
        # The entity cache keeps this many customers per source in each process (LRU).
        "cache_max_entries_per_source": settings.cache.l1_max_entries,
        "sources": list(settings.sources),
        "samples": samples,
    }
