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

    Case = tuple[str, Server | None, list[bytes], int]

    def measured(case: Case) -> dict[str, Any]:
        name, server, bodies, workers = case
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

    cases: list[Case] = [
        ("minimal Starlette endpoint (ceiling)", stack.ceiling(plan.throughput_ids), ours, 1)
    ]
    for workers in (1, 2):
        cases.append(("gateway, cold", stack.gateway(workers=workers, cache=False), ours, workers))
        warm = stack.gateway(workers=workers)
        # Each worker has its own cache: two passes leave nearly every id in both.
        for body in ours * 2:
            stack.post(warm, body)
        cases.append(("gateway, warm cache", warm, ours, workers))
        cases.append(("Hive", stack.hive(workers=workers), theirs, workers))
        if workers == 1:
            # What the fast path (plans and prepared operations) is worth, cold and warm.
            plain_cold = stack.gateway(cache=False, fast_path=False)
            cases.append(("gateway, cold, fast path off", plain_cold, ours, 1))
            plain_warm = stack.gateway(fast_path=False)
            for body in ours * 2:
                stack.post(plain_warm, body)
            cases.append(("gateway, warm cache, fast path off", plain_warm, ours, 1))
    cases.append(("naive", stack.naive(), ours, 1))
    rounds = [[measured(case) for case in cases] for _ in range(plan.throughput_rounds)]
    rows = [_median([r[i] for r in rounds]) for i in range(len(cases))]
    return {
        "concurrency": plan.throughput_concurrency,
        "rounds": plan.throughput_rounds,
        "round_seconds": plan.throughput_seconds,
        "rows": rows,
    }


def _median(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median requests per second, or the first that failed."""
    failed = [r for r in rounds if "rps" not in r]
    if failed:
        return failed[0]
    ordered = sorted(rounds, key=lambda r: float(r["rps"]))
    return ordered[len(ordered) // 2]
