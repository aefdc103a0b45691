"""Where the gateway's CPU per request goes, for each of the benchmark's query sizes.

``python -m bench.profiling [--sizes 1,100,1000] [--repeats N] [--top K]``: starts the sandbox
as its own process, builds the gateway in this process with the benchmark's production
settings and the entity cache off (partner key, rate limiter, query limits, access log as JSON
lines to a discarded stream), and sends it each query through raw ASGI calls (bench/asgi.py),
one at a time. For each size it prints the CPU per request without the profiler, then a
cProfile of the same requests by package and by function: own time, with the event loop's
wait for the sandbox left out. cProfile's overhead grows with the number of calls, so read the
shares, not the profiled milliseconds. Sizes: 1 is ``customer(id) { name email }``, other N the
N-customer query with 3 orders (scenario 2's CRM + orders), 1000 with ``--large`` (the default
for 1000) scenario 4's ten fields and 5 orders.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog
import uvloop

from bench import asgi, queries
from bench.markdown import ms, table
from bench.stack import Stack
from gateway.app import create_app
from gateway.logs import configure_logging
from gateway.settings import Settings

# Where a frame's file lives -> the name shown in the summary; the first match wins.
_PACKAGES = (
    ("/strawberry/", "strawberry"),
    ("/graphql/", "graphql-core"),
    ("/httpx_aiohttp/", "httpx-aiohttp"),
    ("/httpx/", "httpx"),
    ("/httpcore/", "httpcore"),
    ("/aiohttp/", "aiohttp"),
    ("/yarl/", "yarl"),
    ("/multidict/", "multidict"),
    ("/starlette/", "starlette"),
    ("/pydantic", "pydantic"),
    ("/structlog/", "structlog"),
    ("/limits/", "limits"),
    ("/prometheus_client/", "prometheus_client"),
    ("/aiodataloader", "aiodataloader"),
    ("/datasources/", "datasources (ours)"),
    ("/resolvers/", "resolvers (ours)"),
    ("/schema/", "schema (ours)"),
    ("/auth/", "auth (ours)"),
    ("/gateway/", "gateway (ours)"),
    ("/ipaddress.py", "ipaddress"),
    ("/asyncio/", "asyncio"),
)


def query_body(size: int, *, large: bool) -> tuple[str, bytes]:
    """The benchmark's query for ``size`` customers, with a label."""
    if size == 1 and not large:
        return "customer(id) { name email }", queries.body(queries.SMALL, {"id": "7"})
    if large:
        body = queries.customers_body(queries.LARGE_LIST, queries.ids(size))
        return f"{size} customers, 10 fields, 5 orders each", body
    body = queries.customers_body(queries.TWO_SOURCES, queries.ids(size))
    return f"{size} customers with 3 orders", body


def profile_gateway(
    settings: Settings, body: bytes, headers: dict[str, str], repeats: int
) -> dict[str, Any]:
    """CPU per request of ``repeats`` requests of ``body`` through the app in-process (after a
    warm-up), then a cProfile of as many more, summarized by package and by function."""
    profiler = cProfile.Profile()
    cpu_ms = uvloop.run(_serve(settings, body, headers, repeats, profiler))
    stats = pstats.Stats(profiler)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    raw = stats.stats  # type: ignore[attr-defined]
    # The event loop's wait for the sandbox's answers is time spent idle, not work.
    raw = {k: v for k, v in raw.items() if not _waits(k[2])}
    total = sum(entry[2] for entry in raw.values()) or 1.0
    by_package: dict[str, float] = {}
    functions: list[dict[str, Any]] = []
    for (filename, line, name), (_, calls, own, cumulative, _) in raw.items():
        package = _package(filename, name)
        by_package[package] = by_package.get(package, 0.0) + own
        functions.append(
            {
                "function": f"{_short(filename)}:{line}({name})" if line else name,
                "package": package,
                "calls": calls // repeats,
                "own_ms": 1000 * own / repeats,
                "cumulative_ms": 1000 * cumulative / repeats,
            }
        )
    functions.sort(key=lambda f: f["own_ms"], reverse=True)
    packages = [
        {"package": p, "own_ms": 1000 * t / repeats, "share": t / total}
        for p, t in sorted(by_package.items(), key=lambda item: item[1], reverse=True)
    ]
    return {
        "repeats": repeats,
        "cpu_ms_per_request": cpu_ms,
        "profiled_ms_per_request": 1000 * total / repeats,
        "packages": packages,
        "functions": functions[:25],
    }


async def _serve(
    settings: Settings,
    body: bytes,
    headers: dict[str, str],
    repeats: int,
    profiler: cProfile.Profile,
) -> float:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        for _ in range(3):
            await asgi.post(app, body, headers)
        gc.collect()
        gc.freeze()  # as `customer-graph serve` does after start-up
        started = time.process_time()
        for _ in range(repeats):
            await asgi.post(app, body, headers)
        spent = time.process_time() - started
        profiler.enable()
        for _ in range(repeats):
            await asgi.post(app, body, headers)
        profiler.disable()
        gc.unfreeze()
    return 1000 * spent / repeats


def _waits(function: str) -> bool:
    return "of 'select.epoll' objects" in function or "of 'select.poll' objects" in function


def _package(filename: str, function: str) -> str:
    if filename == "~":
        # C functions: name the extension (orjson, etc.) when the repr says which.
        for marker in ("orjson", "_asyncio", "select", "_socket", "_ssl", "uvloop"):
            if marker in function:
                return f"{marker.strip('_')} (C)"
        return "built-ins (C)"
    for marker, name in _PACKAGES:
        if marker in filename:
            return name
    return "other stdlib" if "/lib/python" in filename else "other"


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    parts = filename.split("/")
    return "/".join(parts[-2:])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profiling", description=__doc__)
    parser.add_argument("--sizes", default="1,100,1000", help="comma-separated customer counts")
    parser.add_argument("--repeats", type=int, default=0, help="default: 2000 / N, at least 10")
    parser.add_argument("--top", type=int, default=15, help="functions to list per size")
    parser.add_argument("--large", action="store_true", help="scenario 4's query for every N")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    configure_logging("json", "info")
    with (
        open(os.devnull, "wb") as sink,
        tempfile.TemporaryDirectory() as tmp,
        Stack(Path(tmp), customers=10_000, with_hive=False, with_tailcall=False) as stack,
    ):
        # The access log stays on, as in production, but goes nowhere.
        structlog.configure(logger_factory=structlog.BytesLoggerFactory(sink))
        settings = stack.production_settings(cache=False)
        headers = {"x-api-key": stack.api_key}
        for size in sizes:
            label, body = query_body(size, large=args.large or size >= 1000)
            repeats = args.repeats or max(10, 2000 // size)
            found = profile_gateway(settings, body, headers, repeats)
            print(
                f"\n## {label}: {ms(found['cpu_ms_per_request'])} ms CPU per request "
                f"({repeats} requests; {ms(found['profiled_ms_per_request'])} ms profiled)\n"
            )
            packages = [
                (p["package"], ms(p["own_ms"]), f"{100 * p['share']:.0f}%")
                for p in found["packages"][:12]
            ]
            print(table(("package", "own ms/request (profiled)", "share"), packages) + "\n")
            functions = [
                (f"`{f['function']}`", f["calls"], ms(f["own_ms"]), ms(f["cumulative_ms"]))
                for f in found["functions"][: args.top]
            ]
            print(table(("function", "calls/request", "own ms", "cumulative ms"), functions))


if __name__ == "__main__":
    main()
