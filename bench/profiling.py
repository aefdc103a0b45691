"""Profile the gateway serving one query in this process, summarized by package and function."""

from __future__ import annotations

import asyncio
import cProfile
import pstats
from typing import Any

import httpx

from gateway.app import create_app
from gateway.settings import Settings

# Where a frame's file lives -> the name shown in the summary; the first match wins.
_PACKAGES = (
    ("/strawberry/", "strawberry"),
    ("/graphql/", "graphql-core"),
    ("/httpx_aiohttp/", "httpx-aiohttp"),
    ("/httpx/", "httpx"),
    ("/httpcore/", "httpcore"),
    ("/aiohttp/", "aiohttp"),
    ("/starlette/", "starlette"),
    ("/pydantic", "pydantic"),
    ("/structlog/", "structlog"),
    ("/aiodataloader", "aiodataloader"),
    ("/datasources/", "datasources (ours)"),
    ("/resolvers/", "resolvers (ours)"),
    ("/schema/", "schema (ours)"),
    ("/gateway/", "gateway (ours)"),
    ("/asyncio/", "asyncio"),
)


def profile_gateway(
    settings: Settings, body: bytes, headers: dict[str, str], repeats: int
) -> dict[str, Any]:
    """cProfile ``repeats`` requests of ``body`` through the app in-process (after a warm-up)."""
    profiler = cProfile.Profile()
    asyncio.run(_serve(settings, body, headers, repeats, profiler))
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
        "profiled_ms_per_request": 1000 * total / repeats,
        "packages": packages,
        "functions": functions[:15],
    }


async def _serve(
    settings: Settings,
    body: bytes,
    headers: dict[str, str],
    repeats: int,
    profiler: cProfile.Profile,
) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            sent = {"content-type": "application/json", **headers}
            (await client.post("/graphql", content=body, headers=sent)).raise_for_status()
            profiler.enable()
            for _ in range(repeats):
                await client.post("/graphql", content=body, headers=sent)
            profiler.disable()


def _waits(function: str) -> bool:
    return "of 'select.epoll' objects" in function or "of 'select.poll' objects" in function


def _package(filename: str, function: str) -> str:
    if filename == "~":
        # C functions: name the extension (orjson, etc.) when the repr says which.
        for marker in ("orjson", "_asyncio", "select", "_socket", "_ssl"):
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
