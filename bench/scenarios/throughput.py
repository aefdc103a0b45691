"""Scenario 3: requests per second, p99 and CPU per request of a small query at concurrency 32."""

from __future__ import annotations

from typing import Any

from bench import queries
from bench.measure import Case, interleaved
from bench.plan import Plan
from bench.servers import Missing, Server
from bench.stack import Stack


def run(stack: Stack, plan: Plan, driver: str) -> dict[str, Any]:
    stack.set_latency(0)
    ids = queries.ids(plan.throughput_ids)
    ours = [queries.body(queries.SMALL, {"id": i}) for i in ids]
    hive = [queries.hive_small_body(i) for i in ids]
    tailcall = [queries.tailcall_small_body(i) for i in ids]

    def case(
        name: str, server: Server | Missing, bodies: list[bytes], workers: int, **kw: Any
    ) -> Case:
        return Case(name, server, bodies, customers=1, labels={"workers": workers}, **kw)

    cold = stack.gateway(cache=False)
    cases = [
        case("minimal Starlette endpoint (ceiling)", stack.ceiling(plan.throughput_ids), ours, 1),
        case("Python floor", stack.floor(), ours, 1, same_as=cold),
    ]
    for workers in (1, 2):
        cases.append(
            case("gateway, cold", stack.gateway(workers=workers, cache=False), ours, workers)
        )
        warm = stack.gateway(workers=workers)
        # Each worker has its own cache: two passes leave nearly every id in both.
        for body in ours * 2:
            stack.post(warm, body)
        cases.append(case("gateway, warm cache", warm, ours, workers))
        cases.append(case("Hive", stack.hive(workers=workers), hive, workers))
        cases.append(case("Tailcall", stack.tailcall(workers=workers), tailcall, workers))
        if workers == 1:
            # What the fast path (plans and prepared operations) is worth, cold and warm.
            plain_cold = stack.gateway(cache=False, fast_path=False)
            cases.append(case("gateway, cold, fast path off", plain_cold, ours, 1))
            plain_warm = stack.gateway(fast_path=False)
            for body in ours * 2:
                stack.post(plain_warm, body)
            cases.append(case("gateway, warm cache, fast path off", plain_warm, ours, 1))
    cases.append(case("naive", stack.naive(), ours, 1))
    rows = interleaved(
        stack,
        cases,
        rounds=plan.throughput_rounds,
        concurrency=plan.throughput_concurrency,
        seconds=plan.throughput_seconds,
        driver=driver,
    )
    return {
        "concurrency": plan.throughput_concurrency,
        "rounds": plan.throughput_rounds,
        "round_seconds": plan.throughput_seconds,
        "rows": rows,
    }
