"""One measurement: check the answer is right, warm up, drive load, add the upstream's CPU."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bench import queries
from bench.load import run_load
from bench.servers import Server
from bench.stack import Stack

WARM_UP_REQUESTS = 3
MIN_REQUESTS_PER_CONNECTION = 5


def measure(
    stack: Stack,
    server: Server | None,
    bodies: Sequence[bytes],
    *,
    customers: int,
    concurrency: int,
    seconds: float,
    driver: str,
) -> dict[str, Any]:
    """Load figures for ``server``, or the reason there are none."""
    if server is None:
        return {"error": f"Hive unavailable: {stack.hive_error}"}
    slowest = 0.0
    for body in bodies[:WARM_UP_REQUESTS]:
        started = time.perf_counter()
        problem = queries.problem(stack.post(server, body), customers)
        slowest = max(slowest, time.perf_counter() - started)
        if problem:
            return {"error": problem}
    # A slow server still gets enough requests per connection for its percentiles to mean something.
    seconds = max(seconds, MIN_REQUESTS_PER_CONNECTION * slowest)
    sandbox = stack.sandbox()
    upstream_before = sandbox.cpu_seconds()
    try:
        result = run_load(server, bodies, concurrency=concurrency, seconds=seconds, driver=driver)
    except RuntimeError as exc:
        return {"error": " ".join(str(exc).split())[:300]}
    upstream_cpu = sandbox.cpu_seconds() - upstream_before
    figures = result.as_dict()
    figures["upstream_cpu_ms_per_request"] = (
        round(1000 * upstream_cpu / result.requests, 3) if result.requests else 0.0
    )
    if result.errors:
        figures["error"] = f"{result.errors} failed requests of {result.requests}"
    return figures
