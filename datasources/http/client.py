"""The HTTP side of a declarative source: build batch requests, decode, map records.

Codec exceptions become gateway errors here, httpx's in ``transport.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import structlog

from core import (
    BadRequest,
    GatewayError,
    SystemTimer,
    Timer,
    UpstreamDataInvalid,
    UpstreamRejected,
    UpstreamTimeout,
)
from datasources.codecs import CodecError, accepts_media_type, decode, encode_xml_ids, media_types
from datasources.config import SourceConfig
from datasources.http.body import read_capped
from datasources.http.records import RecordReader, Records
from datasources.http.transport import status_error, timeout_of, transport_errors
from datasources.http.upstream_auth import UpstreamAuth
from datasources.http.writes import UpdateTemplate, idempotency_key
from datasources.metrics import SourceMetrics
from datasources.resilience import CallGuard, RequestBudget
from datasources.tracing import UpstreamSpan, UpstreamTracer

log = structlog.get_logger("customer_graph.datasources")

# How upstream operators see us in their logs.
USER_AGENT = f"customer-graph/{importlib.metadata.version('customer-graph')}"


class SourceClient:
    """Fetches and normalizes one upstream's records for many customers at once."""

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
        self._metrics = metrics
        self.config = config
        self._reader = RecordReader(name, config, metrics)
        self._keys = self._reader.keys
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
        self._update = UpdateTemplate(name, config, config.update) if config.update else None
        self._extensions = {"timeout": timeout_of(config.timeouts).as_dict()}

    async def fetch_many(
        self,
        customer_ids: Sequence[str],
        fields: frozenset[str] | None = None,
        *,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
    ) -> Records:
        """Records for the given customers (unknown ones absent), in as few calls as allowed.

        ``caller_token`` is the GraphQL caller's bearer token; it is sent only to a source
        configured with ``forward_caller_token``. ``budget`` is the deadline and retries of
        the client request the records are for.
        """
        by_key: dict[str, str] = {}
        for cid in dict.fromkeys(customer_ids):
            key = self._keys.to_source(cid)
            if key is not None:
                by_key[key] = cid
        keys = list(by_key)
        size = self.config.batch.max_batch_size
        chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
        params = self._sparse_params(fields)
        if len(chunks) == 1:
            # The common case needs no task of its own.
            only = await self._fetch_chunk(chunks[0], params, fields, caller_token, budget)
            return self._with_empty_lists(only, by_key)
        results = await asyncio.gather(
            *(self._fetch_chunk(chunk, params, fields, caller_token, budget) for chunk in chunks),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed and (
            len(failed) == len(results) or any(not isinstance(r, GatewayError) for r in failed)
        ):
            # Nothing to salvage, or not an upstream's failure at all.
            raise failed[0]
        merged: Records = {}
        for chunk, records in zip(chunks, results, strict=True):
            if isinstance(records, BaseException):
                # Only the customers of the failed call go without; the others are answered.
                merged.update((by_key[key], records) for key in chunk)
            else:
                merged.update(records)
        return self._with_empty_lists(merged, by_key)

    def _with_empty_lists(self, merged: Records, by_key: dict[str, str]) -> Records:
        # A customer the upstream sent nothing for has no orders (say), not an unknown list.
        if self._reader.is_list:
            for cid in by_key.values():
                merged.setdefault(cid, ())
        return merged

    @property
    def circuit(self) -> str:
        """The state of this source's circuit breaker: closed, open or half_open."""
        return self.guard.breaker.state

    def attributes(self, fields: frozenset[str] | None) -> list[str] | None:
        """The upstream attributes to ask for, or None to ask for everything."""
        sparse = self.config.sparse_fields
        if sparse is None or fields is None:
            return None
        return sorted(self._reader.mapper.attributes_for(fields) | set(sparse.always))

    def _sparse_params(self, fields: frozenset[str] | None) -> dict[str, str]:
        attributes = self.attributes(fields)
        if attributes is None or self.config.sparse_fields is None:
            return {}
        return {self.config.sparse_fields.param: ",".join(attributes)}

    async def _fetch_chunk(
        self,
        keys: list[str],
        sparse: dict[str, str],
        fields: frozenset[str] | None,
        caller_token: str | None,
        budget: RequestBudget | None,
    ) -> Records:
        batch = self.config.batch
        params: list[tuple[str, str]] = [*batch.params.items(), *sparse.items()]
        content: bytes | None = None
        headers: dict[str, str] = {}
        ids = batch.ids
        if ids.style == "comma":
            params.append((ids.name, ",".join(keys)))
        elif ids.style == "repeat":
            params.extend((ids.name, k) for k in keys)
        elif ids.style == "json":
            content = orjson.dumps({ids.name: keys})
            headers["content-type"] = "application/json"
        else:
            content = encode_xml_ids(ids.xml_root or "", ids.name, keys, ids.xml_namespace)
            headers["content-type"] = "application/xml"
        body = await self.request(
            batch.method,
            batch.path,
            params,
            content,
            headers,
            caller_token=caller_token,
            budget=budget,
            batch_size=len(keys),
        )
        try:
            return self._reader.batch(body, fields)
        except CodecError as exc:
            raise self._unusable(str(exc)) from None

    async def request(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]] = (),
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
        batch_size: int | None = None,
    ) -> Any:
        """One idempotent upstream call, decoded; every failure surfaces as a ``GatewayError``.

        Retried, limited and timed by the source's guard, within the request's ``budget``.
        ``batch_size`` (the customers asked for) is told to the tracer, if there is one.
        """
        return await self._call(
            method,
            path,
            params,
            content,
            headers,
            caller_token,
            budget,
            decoded=True,
            batch_size=batch_size,
        )

    async def update(
        self,
        customer_id: str,
        changes: Mapping[str, Any],
        idempotency_seed: str,
        *,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        """Set model fields upstream; applied once however many attempts it takes.

        The idempotency key sent is derived from ``idempotency_seed`` and the request itself,
        so a retry (ours, or the client's with the same seed) carries the same key.
        """
        update = self.config.update
        if self._update is None or update is None:
            raise BadRequest(f"{self.name} accepts no changes", source=self.name)
        key = self._keys.to_source(customer_id)
        if key is None:
            raise BadRequest(f"no customer {customer_id!r} at {self.name}", source=self.name)
        write = self._update.build(key, changes)
        headers = {"content-type": write.content_type}
        if update.idempotency_header:
            headers[update.idempotency_header] = idempotency_key(idempotency_seed, self.name, write)
        # Without a key the upstream cannot tell a retry from a second write: send it once.
        await self._call(
            write.method,
            write.path,
            (),
            write.content,
            headers,
            caller_token,
            budget,
            decoded=False,
            retry=update.idempotency_header is not None,
            batch_size=1,
        )

    async def _call(
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
        """The decoded answer (None unless ``decoded``), through the source's guard."""
        url = self._base_url + path
        if params:
            url += "?" + urlencode(params)
        sent = {**self._accept, **(headers or {})}
        if caller_token and self.config.forward_caller_token:
            sent["authorization"] = f"Bearer {caller_token}"
        spent = budget or RequestBudget(self._timer)

        async def attempt() -> Any:
            spent.calls += 1
            tracer = self._tracer
            span = None if tracer is None else tracer.start(self.name, method, batch_size)
            async with self._measure(span):
                with transport_errors("upstream", self.name, self._unusable):
                    body, content_type = await self._exchange(method, url, content, sent, span)
                return self._decode(body, content_type) if decoded else None

        return await self.guard.call(attempt, spent, retry=retry)

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
                    raise self._unusable(str(exc)) from None
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
            raise self._unusable(str(exc)) from None

    def _unusable(self, reason: str) -> UpstreamDataInvalid:
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

    async def list_page(
        self,
        limit: int,
        cursor: str | None,
        updated_since: datetime | None,
        fields: frozenset[str] | None,
        *,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
    ) -> tuple[list[str], Records, str | None]:
        """One page of the primary source's listing: ids in order, their records, next cursor."""
        listing = self.config.listing
        if listing is None:
            raise UpstreamRejected("this source has no listing endpoint", source=self.name)
        params: list[tuple[str, str]] = [(listing.limit_param, str(limit))]
        params.extend(self._sparse_params(fields).items())
        if cursor:
            params.append((listing.cursor_param, cursor))
        if updated_since is not None and listing.updated_since_param:
            params.append((listing.updated_since_param, updated_since.isoformat()))
        body = await self.request(
            "GET", listing.path, params, caller_token=caller_token, budget=budget
        )
        try:
            records, next_cursor = self._reader.page(body, fields)
        except CodecError as exc:
            raise self._unusable(str(exc)) from None
        return list(records), records, next_cursor
