"""CPU per small query inside one gateway process, cold and warm, without HTTP in between.

``python -m bench.small_query [--requests N] [--rounds R]``: starts the sandbox as its own
process, builds the gateway app in this process with the benchmark's production settings
(partner key, rate limiter, query limits, access log as JSON lines to a discarded stream) and
sends it ``customer(id) { name email }`` through raw ASGI calls, eight at a time. It prints the
process time per request, the best of ``R`` rounds: the gateway's own CPU from the
middleware down to the upstream client, without uvicorn and the socket on the way in, which
makes differences between two versions of the code visible that wrk's figures blur.

Three gateway rows: the entity cache off (cold), on (warm), and on with the response cache
(every answer seen before); then the ceiling (bench/ceiling.py, a dict lookup) driven the same
way, so the last two compare without uvicorn on either side.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
from pathlib import Path

import structlog
import uvloop
from starlette.types import ASGIApp

from bench import asgi, ceiling, queries
from bench.stack import Stack
from gateway.app import create_app
from gateway.logs import configure_logging
from gateway.settings import Settings

CONCURRENCY = 8


CUSTOMERS = 1000


async def _drive(app: ASGIApp, headers: dict[str, str], requests: int, warm: bool) -> float:
    bodies = [queries.body(queries.SMALL, {"id": i}) for i in queries.ids(CUSTOMERS)]
    for body in bodies * 2 if warm else bodies[:200]:
        await asgi.post(app, body, headers)

    async def worker(first: int) -> None:
        for n in range(first, requests, CONCURRENCY):
            await asgi.post(app, bodies[n % len(bodies)], headers)

    gc.collect()
    gc.freeze()  # as `customer-graph serve` does after start-up
    started = time.process_time()
    await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
    spent = time.process_time() - started
    gc.unfreeze()
    return 1000 * spent / requests


async def _cpu_ms_per_request(settings: Settings, api_key: str, requests: int, warm: bool) -> float:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        return await _drive(app, {"x-api-key": api_key}, requests, warm)


async def _ceiling_cpu_ms_per_request(requests: int) -> float:
    return await _drive(ceiling.create_app(CUSTOMERS), {}, requests, warm=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # The access log stays on, as in production, but goes nowhere.
    configure_logging("json", "info")
    with (
        open(os.devnull, "wb") as sink,
        tempfile.TemporaryDirectory() as tmp,
        Stack(Path(tmp), customers=CUSTOMERS, with_hive=False) as stack,
    ):
        structlog.configure(logger_factory=structlog.BytesLoggerFactory(sink))
        rows = (
            ("cold (entity cache off)", False, False),
            ("warm cache", True, False),
            ("warm cache, response cache on", True, True),
        )
        for label, warm, answers in rows:
            settings = stack.production_settings(cache=warm, response_cache=answers)
            runs = [
                uvloop.run(_cpu_ms_per_request(settings, stack.api_key, args.requests, warm))
                for _ in range(args.rounds)
            ]
            print(f"{label}: {min(runs):.3f} ms CPU per request (best of {args.rounds})")
        runs = [uvloop.run(_ceiling_cpu_ms_per_request(args.requests)) for _ in range(args.rounds)]
        print(f"ceiling (bench/ceiling.py): {min(runs):.3f} ms CPU per request")


if __name__ == "__main__":
    main()
