"""Fault injection: latency, failures, hangs and dropped connections for one mounted API."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .responses import error
from .settings import API_NAMES, Fault

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ConnectionDropped(Exception):
    """Raised on purpose so the server closes the connection without answering."""


class FaultTable:
    """The live faults of one app, and the seeded randomness that decides injected failures."""

    def __init__(self, faults: Mapping[str, Fault], seed: int) -> None:
        # Copies, so counting down fail_next never touches the caller's settings.
        self._faults = {name: dataclasses.replace(faults.get(name, Fault())) for name in API_NAMES}
        self._random = random.Random(seed)

    def get(self, api: str) -> Fault:
        """The fault currently configured for `api`."""
        return self._faults[api]

    def replace(self, faults: Mapping[str, Fault]) -> None:
        """Replace the faults of the APIs named; the others keep theirs."""
        self._faults.update(faults)

    def clear(self) -> None:
        """Remove every fault."""
        self._faults = {name: Fault() for name in API_NAMES}

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """The `GET /_faults` document."""
        return {name: dataclasses.asdict(fault) for name, fault in self._faults.items()}

    def should_fail(self, fault: Fault) -> bool:
        """Decide whether this request gets an injected failure, counting down fail_next."""
        if fault.fail_next > 0:
            fault.fail_next -= 1
            return True
        return fault.failure_rate > 0 and self._random.random() < fault.failure_rate


class FaultMiddleware:
    """Applies the faults configured for one API before handing the request to it."""

    def __init__(self, app: ASGIApp, api: str, table: FaultTable) -> None:
        self._app = app
        self._api = api
        self._table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        fault = self._table.get(self._api)
        if fault.latency_ms > 0:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.hang:
            await _until_disconnect(receive)
            return
        if self._table.should_fail(fault):
            headers = (
                {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
            )
            await error(fault.status, "injected failure", headers)(scope, receive, send)
            return
        if fault.replace:
            old, _, new = fault.replace.partition(">")
            await self._app(scope, receive, _replacing(send, old.encode(), new.encode()))
            return
        if fault.drop_after_apply > 0 and scope["method"] in _WRITE_METHODS:
            fault.drop_after_apply -= 1
            await self._app(scope, receive, _discard)
            await _drop_connection(send)
            return
        await self._app(scope, receive, send)


async def _until_disconnect(receive: Receive) -> None:
    # Waiting for the disconnect rather than forever lets the server shut down cleanly.
    while (await receive())["type"] != "http.disconnect":
        pass


def _replacing(send: Send, old: bytes, new: bytes) -> Send:
    """``send`` with the body held back until complete, ``old`` replaced by ``new`` in it."""
    start: Message = {}
    body = bytearray()

    async def replacing(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        rewritten = bytes(body).replace(old, new)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(rewritten)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": rewritten})

    return replacing


async def _discard(message: Message) -> None:
    pass


async def _drop_connection(send: Send) -> None:
    # ASGI has no "close without answering". A header value with a line break makes uvicorn
    # refuse the response start before writing a byte; it then closes the connection because
    # the app returns with the response started but unfinished. Swallowing the refusal keeps
    # the log to one line instead of a traceback per injected drop.
    try:
        await send(
            {"type": "http.response.start", "status": 500, "headers": [(b"x-drop", b"\r\n")]}
        )
    except Exception:  # uvicorn's httptools raises RuntimeError, its h11 LocalProtocolError
        return
    # A server that accepted the header closes the connection mid-response when the app fails.
    raise ConnectionDropped("injected: write applied, connection dropped")
