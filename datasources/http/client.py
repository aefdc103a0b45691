"""A declarative source's operations: batches of customers (ids into the request as the
source takes them, chunked to its batch size), its listing, and writes. Each call goes
through ``exchange.py``; records are read by ``records.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx
import orjson
import structlog

from core import BadRequest, Timer, UpstreamRejected
from datasources.codecs import CodecError, encode_xml_ids
from datasources.config import SourceConfig
from datasources.http.chunks import fetch_in_chunks
from datasources.http.exchange import Upstream
from datasources.http.records import RecordReader, Records
from datasources.http.upstream_auth import UpstreamAuth
from datasources.http.writes import UpdateTemplate, idempotency_key
from datasources.metrics import SourceMetrics
from datasources.resilience import RequestBudget
from datasources.tracing import UpstreamTracer

log = structlog.get_logger("customer_graph.datasources")


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
        self.config = config
        self._reader = RecordReader(name, config, metrics)
        self._batch = self._reader.batch_request
        self._keys = self._reader.keys
        self._upstream = Upstream(name, config, transport, metrics, auth, timer, tracer)
        self.guard = self._upstream.guard
        self._update = UpdateTemplate(name, config, config.update) if config.update else None

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
        params = self._sparse_params(fields)

        async def fetch(chunk: list[str]) -> Records:
            return await self._fetch_chunk(chunk, params, fields, caller_token, budget)

        merged = await fetch_in_chunks(by_key, self.config.max_batch_size, fetch)
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
        batch = self._batch
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
            raise self._upstream.unusable(str(exc)) from None

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
        return await self._upstream.call(
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

    def check_update(self, changes: Mapping[str, Any]) -> None:
        """BadRequest if ``changes`` cannot be written to this source; nothing is sent."""
        self._template().check(changes)

    def _template(self) -> UpdateTemplate:
        if self._update is None:
            raise BadRequest(f"{self.name} accepts no changes", source=self.name)
        return self._update

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

        The idempotency key sent is derived from ``idempotency_seed`` and the write's target,
        so a retry (ours, or the client's with the same seed) carries the same key.
        """
        template, update = self._template(), self.config.update
        assert update is not None  # a template is made only for a source with an update
        key = self._keys.to_source(customer_id)
        if key is None:
            raise BadRequest(f"no customer {customer_id!r} at {self.name}", source=self.name)
        write = template.build(key, changes)
        headers = {"content-type": write.content_type}
        if update.idempotency_header:
            headers[update.idempotency_header] = idempotency_key(idempotency_seed, self.name, write)
        # Without a key the upstream cannot tell a retry from a second write: send it once.
        await self._upstream.call(
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
            raise self._upstream.unusable(str(exc)) from None
        return list(records), records, next_cursor
