"""One call to one upstream: its URL and headers, the source's credentials (renewed once on a
401), the call guard (timeouts, retries, breaker, quota), the response size cap, decoding,
and the metrics and trace span of every attempt."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx
import structlog

from core import (
    GatewayError,
    SystemTimer,
    Timer,
    UpstreamDataInvalid,
    UpstreamSkipped,
    UpstreamTimeout,
)
from datasources.codecs import CodecError, accepts_media_type, decode, media_types
from datasources.config import SourceConfig
from datasources.http.body import read_capped
from datasources.http.transport import status_error, timeout_of, transport_errors
from datasources.http.upstream_auth import UpstreamAuth
from datasources.metrics import SourceMetrics
from datasources.resilience import CallGuard, RequestBudget
from datasources.tracing import UpstreamSpan, UpstreamTracer

log = structlog.get_logger("customer_graph.datasources")

# How upstream operators see us in their logs.
USER_AGENT = f"customer-graph/{importlib.metadata.version('customer-graph')}"


class Upstream:
    """The calls of one source; every failure surfaces as a ``GatewayError``."""

    def __init__(
        self,
        name: str,
        config: SourceConfig,
        transport: httpx.AsyncBaseTransport,
        metrics: SourceMetrics,
        auth: UpstreamAuth | None = None,
        timer: Timer | None = None,
        tracer: UpstreamTracer | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self._metrics = metrics
        self._transport = transport
        self._base_url = config.base_url.rstrip("/")
        self._auth = auth or UpstreamAuth()
        self._media_types = media_types(config)
        exact = [t for t in self._media_types if "*" not in t]
        self._accept = {
            "accept": ", ".join(exact) or "*/*",
            "accept-encoding": "gzip",
            "user-agent": USER_AGENT,
        }
        self._timer = timer or SystemTimer()
        self._tracer = tracer
        self.guard = CallGuard(name, config, metrics, self._timer)
        self._extensions = {"timeout": timeout_of(config.timeouts).as_dict()}

    async def call(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]],
        content: bytes | None,
        headers: Mapping[str, str] | None,
        caller_token: str | None,
        budget: RequestBudget | None,
        *,
        decoded: bool,
        retry: bool = True,
        batch_size: int | None = None,
    ) -> Any:
        """The decoded answer (None unless ``decoded``), through the source's guard.

        ``retry`` is False for a write the upstream cannot de-duplicate; ``batch_size`` (the
        customers asked for) is told to the tracer, if there is one.
        """
        url = self._base_url + path
        if params:
            url += "?" + urlencode(params)
        sent = {**self._accept, **(headers or {})}
        if caller_token and self.config.forward_caller_token:
            sent["authorization"] = f"Bearer {caller_token}"
        spent = budget or RequestBudget(self._timer)
        plan = spent.plan
        if plan is not None and plan.dry_run:
            # Before the guard: a planned call is no outcome for the breaker, and no retry.
            plan.call(self.name, method, path, batch_size, self._sparse(params))
            raise UpstreamSkipped("a dry run: this call was planned, not sent", source=self.name)

        async def attempt() -> Any:
            spent.calls += 1
            if plan is not None:
                plan.call(self.name, method, path, batch_size, self._sparse(params))
            tracer = self._tracer
            span = None if tracer is None else tracer.start(self.name, method, batch_size)
            async with self._measure(span):
                with transport_errors("upstream", self.name, self.unusable):
                    body, content_type = await self._exchange(method, url, content, sent, span)
                return self._decode(body, content_type) if decoded else None

        return await self.guard.call(attempt, spent, retry=retry)

    def _sparse(self, params: Sequence[tuple[str, str]]) -> str | None:
        sparse = self.config.sparse_fields
        if sparse is None:
            return None
        return next((value for name, value in params if name == sparse.param), None)

    async def _exchange(
        self,
        method: str,
        url: str,
        content: bytes | None,
        headers: Mapping[str, str],
        span: UpstreamSpan | None,
    ) -> tuple[bytes, str | None]:
        """Send with the source's credentials; on a 401, renew them and send once more.

        The request goes to the transport directly: a batch call needs none of the client's
        redirects, cookies or auth flows, and skipping them halves its CPU (docs/performance.md).
        """
        retried = False
        if span is not None:
            headers = {**headers, **span.headers}
        while True:
            credentials = await self._auth.headers()
            request = httpx.Request(
                method,
                url,
                content=content,
                headers={**headers, **credentials},
                extensions=self._extensions,
            )
            response = await self._transport.handle_async_request(request)
            try:
                if span is not None:
                    span.status = response.status_code
                if response.status_code == 401 and not retried and self._auth.rejected(credentials):
                    retried = True
                    continue
                # A failure is told by its status alone; its body is never read.
                failure = status_error(
                    response.status_code, response.headers, "upstream", self.name
                )
                if failure is not None:
                    raise failure
                try:
                    body = await read_capped(response, self.config.max_response_bytes)
                except CodecError as exc:
                    raise self.unusable(str(exc)) from None
                return body, response.headers.get("content-type")
            finally:
                await response.aclose()

    def _decode(self, body: bytes, content_type: str | None) -> Any:
        try:
            if not accepts_media_type(self._media_types, content_type):
                raise CodecError(
                    f"expected a {self.config.format.upper()} response "
                    f"({', '.join(self._media_types)}), got content type {content_type!r}"
                )
            return decode(self.config, body)
        except CodecError as exc:
            raise self.unusable(str(exc)) from None

    def unusable(self, reason: str) -> UpstreamDataInvalid:
        """The error for a response that cannot be used at all, logged and counted."""
        log.warning("unusable upstream response", source=self.name, reason=reason)
        self._metrics.invalid_responses.labels(self.name).inc()
        return UpstreamDataInvalid(reason, source=self.name)

    @contextlib.asynccontextmanager
    async def _measure(self, span: UpstreamSpan | None) -> AsyncIterator[None]:
        started = time.perf_counter()
        outcome = "ok"
        try:
            yield
        except GatewayError as exc:
            outcome = exc.code
            raise
        except asyncio.CancelledError:
            # The guard cut the attempt off at its timeout or the request's deadline.
            outcome = UpstreamTimeout.code
            raise
        finally:
            self._metrics.latency.labels(self.name).observe(time.perf_counter() - started)
            self._metrics.requests.labels(self.name, outcome).inc()
            if span is not None:
                span.end(outcome)
