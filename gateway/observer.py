"""One access log line, the GraphQL metrics and the request's span, per GraphQL request.

The observer wraps the whole app, so refusals (401, 413, 429) and the time spent in every
middleware are seen too. It does its work once per request, never per field or record:
the operation, the errors and the upstream calls are written into the request's
``RequestRecord`` by the code that learns them.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

import structlog
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth import Identity
from core import Timer
from gateway.metrics import GraphQLMetrics, outcome
from gateway.request_record import INTERNAL, STATE_KEY, RequestRecord
from gateway.tracing import OperationSpan, RequestTracing

log = structlog.get_logger("customer_graph.access")

REQUEST_ID_HEADER = b"x-request-id"
# An incoming id is kept if it is short and plain, so it can go into logs and headers as is.
_USABLE_ID = re.compile(rb"[A-Za-z0-9._:+=/-]{1,128}")
# nginx's status for a request whose client went away before the answer.
_CLIENT_GONE = 499


class RequestObserver:
    """Observes the GraphQL requests at ``path``; every other request passes untouched."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        metrics: GraphQLMetrics,
        timer: Timer,
        tracing: RequestTracing | None = None,
    ) -> None:
        self.app = app
        self._path = path
        self._metrics = metrics
        self._timer = timer
        self._tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self._path or not _runs_operation(scope):
            await self.app(scope, receive, send)
            return
        record = RequestRecord(_request_id(scope))
        scope.setdefault("state", {})[STATE_KEY] = record
        tokens = structlog.contextvars.bind_contextvars(request_id=record.request_id)
        try:
            if self._tracing is None:
                await self._observe(scope, receive, send, record, None)
            else:
                with self._tracing.operation(Headers(scope=scope)) as span:
                    await self._observe(scope, receive, send, record, span)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)

    async def _observe(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        record: RequestRecord,
        span: OperationSpan | None,
    ) -> None:
        started = self._timer.now()
        id_header = (REQUEST_ID_HEADER, record.request_id.encode("ascii"))
        status: int | None = None
        finished = False

        def finish(final_status: int) -> None:
            nonlocal finished
            if not finished:
                finished = True
                self._metrics.in_flight.dec()
                self._finish(record, final_status, self._timer.now() - started, scope, span)

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Before the last bytes go out: a client holding its answer finds the request
                # in the logs and the metrics already.
                finish(status or 500)
            await send(message)

        self._metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_observed)
        except BaseException as exc:
            if status is None:
                # Starlette answers 500 for an error; nobody answers a client gone.
                gone = isinstance(exc, asyncio.CancelledError)
                status = _CLIENT_GONE if gone else 500
                if not gone:
                    record.add_errors([INTERNAL])
            raise
        finally:
            finish(status or 500)

    def _finish(
        self,
        record: RequestRecord,
        status: int,
        seconds: float,
        scope: Scope,
        span: OperationSpan | None,
    ) -> None:
        result = outcome(record, status)
        self._metrics.observe(record, result, seconds)
        if span is not None:
            span.finish(record, status, result)
        identity = _identity(scope)
        log.info(
            "graphql request",
            method=scope["method"],
            status=status,
            outcome=result,
            operation_type=record.operation_type,
            operation_name=record.operation_name,
            client_kind=identity.kind if identity else None,
            client_id=identity.subject if identity else None,
            duration_ms=round(seconds * 1000, 3),
            errors=record.errors,
            error_codes=sorted(record.error_codes),
            upstream_calls=record.upstream_calls,
            response_cache=record.response_cache,
        )


def _runs_operation(scope: Scope) -> bool:
    # A GET without a query (or a persisted query's hash) is the GraphiQL page; OPTIONS is
    # a browser's CORS preflight.
    method: str = scope["method"]
    if method != "GET":
        return method == "POST"
    params = QueryParams(scope["query_string"])
    return "query" in params or "extensions" in params


def _request_id(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` if it is usable, else a new one."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _USABLE_ID.fullmatch(value):
            return value.decode("ascii")
    return os.urandom(16).hex()


def _identity(scope: Scope) -> Identity | None:
    # AuthGuard leaves the caller's identity here; a refused request has none.
    state: Any = scope.get("state") or {}
    found = state.get("identity")
    return found if isinstance(found, Identity) else None
