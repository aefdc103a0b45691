"""CPU per upstream GET for httpx's default transport and httpx-aiohttp's, side by side.

``python -m bench.transport``: starts the sandbox in a thread, then in this process sends the
same batch GETs at concurrency 32 through each transport and prints CPU milliseconds per
request (process time, so the sandbox thread's share is included equally in every row). The
last row sends each ``httpx.Request`` to the transport directly, without the client's
redirect, cookie and auth handling, as ``datasources/client.py`` does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
from httpx_aiohttp import AiohttpTransport

from sandbox import SandboxSettings, create_app
from sandbox.server import run_in_thread

REQUESTS = 2000
CONCURRENCY = 32


async def _cpu_ms_per_request(
    transport: httpx.AsyncBaseTransport, url: str, *, direct: bool = False
) -> float:
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(transport=transport, limits=limits) as client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            async with gate:
                if not direct:
                    response = await client.get(url, params={"ids": str(i % 1000 + 1)})
                    response.raise_for_status()
                    return
                request = httpx.Request("GET", f"{url}?ids={i % 1000 + 1}")
                response = await transport.handle_async_request(request)
                try:
                    await response.aread()
                    response.raise_for_status()
                finally:
                    await response.aclose()

        await asyncio.gather(*(one(i) for i in range(200)))
        started = time.process_time()
        await asyncio.gather(*(one(i) for i in range(REQUESTS)))
        return 1000 * (time.process_time() - started) / REQUESTS


def main() -> None:
    with run_in_thread(create_app(SandboxSettings())) as base:
        url = base + "/crm/customers/batch"
        cases: list[tuple[str, Callable[[], httpx.AsyncBaseTransport], bool]] = [
            ("httpx default transport", httpx.AsyncHTTPTransport, False),
            ("httpx over AiohttpTransport", AiohttpTransport, False),
            ("AiohttpTransport, requests sent to it directly", AiohttpTransport, True),
        ]
        for name, factory, direct in cases:
            runs = [
                asyncio.run(_cpu_ms_per_request(factory(), url, direct=direct)) for _ in range(3)
            ]
            print(f"{name}: {min(runs):.2f} ms CPU per request (best of 3)")


if __name__ == "__main__":
    main()
