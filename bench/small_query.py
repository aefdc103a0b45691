"""CPU per small query inside one gateway process, cold and warm, without HTTP in between.

``python -m bench.small_query [--requests N] [--rounds R]``: starts the sandbox as its own
process, builds the gateway app in this process with the benchmark's production settings
(partner key, rate limiter, query limits, access log as JSON lines to a discarded stream) and
sends it ``customer(id) { name email }`` through raw ASGI calls, eight at a time. It prints the
process time per request, the best of ``R`` rounds: the gateway's own CPU from the
middleware down to the upstream client, without uvicorn and the socket on the way in, which
makes differences between two versions of the code visible that wrk's figures blur.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import structlog
import uvloop
from starlette.applications import Starlette

from bench import queries
from bench.stack import Stack
from gateway.app import create_app
from gateway.logs import configure_logging
from gateway.settings import Settings

CONCURRENCY = 8


async def _call(app: Starlette, body: bytes, api_key: str) -> None:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"gateway"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-api-key", api_key.encode()),
        ],
        "state": {},
    }
    received = False
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:
            await asyncio.Event().wait()  # the client never disconnects
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] != 200 or b'"errors"' in sent[1]["body"]:
        raise RuntimeError(f"unexpected answer: {sent[1].get('body', b'')[:300]!r}")


async def _cpu_ms_per_request(settings: Settings, api_key: str, requests: int, warm: bool) -> float:
    bodies = [queries.body(queries.SMALL, {"id": i}) for i in queries.ids(1000)]
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        for body in bodies * 2 if warm else bodies[:200]:
            await _call(app, body, api_key)

        async def worker(first: int) -> None:
            for n in range(first, requests, CONCURRENCY):
                await _call(app, bodies[n % len(bodies)], api_key)

        gc.collect()
        gc.freeze()  # as `customer-graph serve` does after start-up
        started = time.process_time()
        await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
        spent = time.process_time() - started
        gc.unfreeze()
    return 1000 * spent / requests


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
        Stack(Path(tmp), customers=1000, with_hive=False) as stack,
    ):
        structlog.configure(logger_factory=structlog.BytesLoggerFactory(sink))
        for label, warm in (("cold (entity cache off)", False), ("warm cache", True)):
            settings = stack.production_settings(cache=warm)
            runs = [
                uvloop.run(_cpu_ms_per_request(settings, stack.api_key, args.requests, warm))
                for _ in range(args.rounds)
            ]
            print(f"{label}: {min(runs):.3f} ms CPU per request (best of {args.rounds})")


if __name__ == "__main__":
    main()
