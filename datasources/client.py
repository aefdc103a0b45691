"""The HTTP side of a declarative source: build batch requests, decode, map records.

This is the one place where httpx and codec exceptions become gateway errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import importlib.metadata
import time
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import structlog

from datasources.budget import RequestBudget
from datasources.codecs import CodecError, accepts_media_type, decode, encode_xml_ids, media_types
from datasources.config import SourceConfig
from datasources.errors import (
    BadRequest,
    GatewayError,
    UpstreamDataInvalid,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from datasources.guard import CallGuard
from datasources.keys import KeyTemplate
from datasources.mapping import RecordMapper, compile_path, root_attributes
from datasources.metrics import SourceMetrics
from datasources.models import ENTITY_IS_LIST, ENTITY_MODELS
from datasources.timer import SystemTimer, Timer
from datasources.tracing import UpstreamSpan, UpstreamTracer
from datasources.upstream_auth import UpstreamAuth
from datasources.writes import UpdateTemplate, idempotency_key

log = structlog.get_logger("customer_graph.datasources")

# One batch's records, keyed by our customer id: a model instance, or a tuple of them for
# entities a customer has many of; or the GatewayError of the call that should have brought
# them, when other calls of the same batch succeeded.
Records = dict[str, Any]

# How upstream operators see us in their logs.
USER_AGENT = f"customer-graph/{importlib.metadata.version('customer-graph')}"

# The invalid-fields metric's label for records whose key matches no customer id.
UNMATCHED_RECORD = "(key)"


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
        self.is_list = ENTITY_IS_LIST[config.entity]
        self.mapper = RecordMapper(ENTITY_MODELS[config.entity], config.fields)
        self._transport = transport
        self._base_url = config.base_url.rstrip("/")
        self._keys = KeyTemplate(config.key_template)
        self._records = compile_path(config.batch.records)
        self._record_key = compile_path(config.batch.key)
        self._key_attributes = root_attributes(config.batch.key)
        listing = config.listing
        self._list_records = compile_path(listing.records) if listing else None
        self._next_cursor = compile_path(listing.next_cursor) if listing else None
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
        timeout = httpx.Timeout(
            config.timeouts.total,
            connect=config.timeouts.connect,
            read=config.timeouts.read,
        )
        self._extensions = {"timeout": timeout.as_dict()}

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
        if self.is_list:
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
        return sorted(self.mapper.attributes_for(fields) | set(sparse.always))

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
        return self._parse_batch(body, fields)

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
                with self._map_errors():
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
                self._check_status(response)
                body = await self._read_capped(response)
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

    async def _read_capped(self, response: httpx.Response) -> bytes:
        """The body, decompressed, refused once it exceeds the source's size limit.

        The limit applies to the decompressed size, so a small compressed body cannot
        unfold into an unbounded one.
        """
        cap = self.config.max_response_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise self._unusable(f"response of {declared} bytes exceeds the {cap} byte limit")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip"):
            raise self._unusable(f"unsupported content encoding {encoding!r}")
        gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_raw():
            if gunzip is not None:
                try:
                    # At most one byte past the limit: enough to know it was exceeded. Input
                    # left over (unconsumed_tail) only exists once that byte is reached.
                    chunk = gunzip.decompress(chunk, cap + 1 - size)
                except zlib.error as exc:
                    raise self._unusable(f"undecodable gzip body: {exc}") from None
            size += len(chunk)
            if size > cap:
                raise self._unusable(f"response exceeds the {cap} byte limit")
            chunks.append(chunk)
        if gunzip is not None and not gunzip.eof:
            raise self._unusable("truncated gzip body")
        return b"".join(chunks)

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        retry_after = _retry_after(response.headers.get("retry-after"))
        if status == 429:
            raise UpstreamRateLimited(
                "upstream rate limit reached", source=self.name, retry_after=retry_after
            )
        if status >= 500:
            raise UpstreamUnavailable(
                f"upstream answered {status}", source=self.name, retry_after=retry_after
            )
        raise UpstreamRejected(f"upstream refused the request with {status}", source=self.name)

    @contextlib.contextmanager
    def _map_errors(self) -> Iterator[None]:
        try:
            yield
        except GatewayError:
            raise
        except httpx.TimeoutException:
            raise UpstreamTimeout("upstream did not answer in time", source=self.name) from None
        except httpx.DecodingError as exc:
            raise self._unusable(f"undecodable body: {exc}") from None
        except httpx.HTTPError as exc:
            # The message of a transport error can carry the URL; keep only its kind.
            raise UpstreamUnavailable(
                f"upstream unreachable ({type(exc).__name__})", source=self.name
            ) from None

    def _parse_batch(self, body: Any, fields: frozenset[str] | None) -> Records:
        raw_records = self._records(body)
        if raw_records is None:
            return {}
        if isinstance(raw_records, dict):
            raw_records = [raw_records]
        if not isinstance(raw_records, list):
            raise self._unusable(f"expected a list of records at {self.config.batch.records!r}")
        return self.map_records(raw_records, self._record_key, fields)

    def map_records(
        self, raw_records: list[Any], key_of: Any, fields: frozenset[str] | None
    ) -> Records:
        """Map raw records and key them by customer id, grouping where the entity is a list."""
        if self.config.format == "csv" and raw_records:
            self._check_columns(raw_records[0], fields)
        out: Records = {}
        grouped: dict[str, list[Any]] = {}
        for raw in raw_records:
            key = key_of(raw)
            cid = self._keys.to_customer(str(key)) if key is not None else None
            if cid is None:
                # No customer to blame it on: the record is dropped, logged and counted.
                self._metrics.invalid_fields.labels(self.name, UNMATCHED_RECORD).inc()
                log.warning("record without a usable key", source=self.name, key=key)
                continue
            record = self.mapper.map(raw, fields)
            if record.issues:
                for field in record.issues:
                    self._metrics.invalid_fields.labels(self.name, field).inc()
                log.warning(
                    "invalid upstream fields",
                    source=self.name,
                    customer_id=cid,
                    fields=sorted(record.issues),
                )
            if self.is_list:
                grouped.setdefault(cid, []).append(record)
            else:
                out[cid] = record
        for cid, records in grouped.items():
            out[cid] = tuple(records)
        return out

    def _check_columns(self, first_row: Any, fields: frozenset[str] | None) -> None:
        # Every CSV row has every header column, so the first row shows what the file lacks.
        needed = self.mapper.attributes_for(self.mapper.field_names if fields is None else fields)
        missing = sorted((needed | self._key_attributes) - set(first_row))
        if missing:
            raise self._unusable(
                f"the CSV has no column {', '.join(map(repr, missing))}; "
                "expected the columns the mapping reads"
            )

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
        if listing is None or self._list_records is None or self._next_cursor is None:
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
        raw = self._list_records(body) or []
        if not isinstance(raw, list):
            raise self._unusable(f"expected a list of records at {listing.records!r}")
        records = self.map_records(raw, self._record_key, fields)
        next_cursor = self._next_cursor(body)
        return list(records), records, str(next_cursor) if next_cursor else None


def _retry_after(value: str | None) -> float | None:
    # Seconds, or an HTTP date (RFC 9110); anything else is ignored.
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
