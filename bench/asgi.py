"""One GraphQL POST straight into an ASGI app, without a socket or an HTTP client in between.

The in-process measurements (bench.small_query, bench.profiling) call the gateway this way, so
what they count is the gateway's own work from its middleware down to the upstream client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, MutableMapping
from typing import Any

from starlette.types import ASGIApp


async def post(app: ASGIApp, body: bytes, headers: Mapping[str, str]) -> bytes:
    """POST ``body`` to ``/graphql``; the answer's body, or RuntimeError for a failed one."""
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
            *((name.lower().encode(), value.encode()) for name, value in headers.items()),
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
    answer = b"".join(m.get("body", b"") for m in sent[1:])
    if sent[0]["status"] != 200 or b'"errors"' in answer:
        raise RuntimeError(f"unexpected answer: {answer[:300]!r}")
    return answer
