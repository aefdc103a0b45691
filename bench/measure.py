"""One measurement: check the answer is right, warm up, drive load, add the upstream's CPU.

``interleaved`` runs a scenario's cases in rounds, one case after the other in each round, and
keeps each case's median round: a slow spell of the shared machine then falls on every
server alike instead of on whichever ran during it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import queries
from bench.load import run_load
from bench.servers import Missing, Server
from bench.stack import Stack

WARM_UP_REQUESTS = 3
MIN_REQUESTS_PER_CONNECTION = 5


@dataclass(frozen=True)
class Case:
    """One row of a scenario: a server, the bodies it is sent, and what to report with it."""

    name: str
    server: Server | Missing
    bodies: Sequence[bytes]
    customers: int
    # Reported with the row as it is (e.g. the number of workers, the N of the query).
    labels: dict[str, Any] = field(default_factory=dict)
    # The server whose answer and upstream calls this one's must equal (the floor's gateway).
    same_as: Server | None = None


def measure(
    stack: Stack,
    server: Server | Missing,
    bodies: Sequence[bytes],
    *,
    customers: int,
    concurrency: int,
    seconds: float,
    driver: str,
) -> dict[str, Any]:
    """Load figures for ``server``, or the reason there are none."""
    if isinstance(server, Missing):
        return {"error": server.reason}
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


def same_answer(stack: Stack, server: Server, reference: Server, body: bytes) -> str | None:
    """Why ``server`` does not answer ``body`` as ``reference`` does, with the same upstream
    requests; None when it does. Both should run without a cache."""
    stack.reset_calls()
    expected = stack.post(reference, body)
    expected_requests = stack.requests()
    stack.reset_calls()
    answer = stack.post(server, body)
    requests = stack.requests()
    if answer != expected:
        return f"{server.name}'s answer differs from {reference.name}'s"
    if requests != expected_requests:
        return (
            f"{server.name} sent {len(requests)} upstream requests, {reference.name} "
            f"{len(expected_requests)}, or not the same ones"
        )
    return None


def interleaved(
    stack: Stack,
    cases: Sequence[Case],
    *,
    rounds: int,
    concurrency: int,
    seconds: float,
    driver: str,
) -> list[dict[str, Any]]:
    """Each case measured ``rounds`` times, the cases interleaved; each row its median round."""
    checked: dict[int, str | None] = {}
    for index, case in enumerate(cases):
        if case.same_as is not None and isinstance(case.server, Server):
            checked[index] = same_answer(stack, case.server, case.same_as, case.bodies[0])

    def one(index: int, case: Case) -> dict[str, Any]:
        if checked.get(index):
            return {"error": checked[index]}
        figures = measure(
            stack,
            case.server,
            case.bodies,
            customers=case.customers,
            concurrency=concurrency,
            seconds=seconds,
            driver=driver,
        )
        if index in checked and case.same_as is not None:
            # Checked before the rounds: same answer and upstream requests as this server.
            figures["checked_against"] = case.same_as.name
        return figures

    runs = [[one(i, case) for i, case in enumerate(cases)] for _ in range(rounds)]
    return [
        {"case": case.name, **case.labels, **median_round([r[i] for r in runs])}
        for i, case in enumerate(cases)
    ]


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median requests per second, or the first that failed."""
    failed = [r for r in rounds if "rps" not in r]
    if failed:
        return failed[0]
    ordered = sorted(rounds, key=lambda r: float(r["rps"]))
    chosen = dict(ordered[len(ordered) // 2])
    if len(rounds) > 1:
        # The spread of the rounds says how far to trust the row.
        cpu = sorted(float(r["server_cpu_ms_per_request"]) for r in rounds)
        chosen["cpu_ms_per_request_range"] = [cpu[0], cpu[-1]]
    return chosen
