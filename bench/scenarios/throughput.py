"""Scenario 3: requests per second and p99 of a small query at concurrency 32."""

from __future__ import annotations

from typing import Any

from bench import queries
from bench.measure import measure
from bench.plan import Plan
from bench.servers import Server
from bench.stack import Stack


def run(stack: Stack, plan: Plan, driver: str) -> dict[str, Any]:
    stack.set_latency(0)
    ids = queries.ids(plan.throughput_ids)
    ours = [queries.body(queries.SMALL, {"id": i}) for i in ids]
    theirs = [queries.hive_small_body(i) for i in ids]

    def case(name: str, server: Server | None, bodies: list[bytes], workers: int) -> dict[str, Any]:
        figures = measure(
            stack,
            server,
            bodies,
            customers=1,
            concurrency=plan.throughput_concurrency,
            seconds=plan.throughput_seconds,
            driver=driver,
        )
        return {"case": name, "workers": workers, **figures}

    ceiling = stack.ceiling(plan.throughput_ids)
    rows = [case("minimal Starlette endpoint (ceiling)", ceiling, ours, 1)]
    for workers in (1, 2):
        cold = stack.gateway(workers=workers, cache=False)
        rows.append(case("gateway, cold", cold, ours, workers))
        warm = stack.gateway(workers=workers)
        # Each worker has its own cache: two passes leave nearly every id in both.
        for body in ours * 2:
            stack.post(warm, body)
        rows.append(case("gateway, warm cache", warm, ours, workers))
        rows.append(case("Hive", stack.hive(workers=workers), theirs, workers))
        if workers == 1:
            # What the fast path (plans and prepared operations) is worth, cold and warm.
            plain_cold = stack.gateway(cache=False, fast_path=False)
            rows.append(case("gateway, cold, fast path off", plain_cold, ours, 1))
            plain_warm = stack.gateway(fast_path=False)
            for body in ours * 2:
                stack.post(plain_warm, body)
            rows.append(case("gateway, warm cache, fast path off", plain_warm, ours, 1))
    rows.append(case("naive", stack.naive(), ours, 1))
    return {"concurrency": plan.throughput_concurrency, "rows": rows}
