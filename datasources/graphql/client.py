"""A GraphQL source: the keys of a batch in one upstream operation asking only for the fields
wanted, its answer mapped onto the model as a REST source's records are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import orjson
import structlog

from core import Timer, UpstreamGraphQLError
from datasources.codecs import CodecError
from datasources.config import SourceConfig
from datasources.graphql.answer import read_answer
from datasources.graphql.operation import OPERATION_NAME, OperationBuilder
from datasources.http import Records, Upstream, UpstreamAuth, fetch_in_chunks
from datasources.metrics import SourceMetrics
from datasources.model import (
    ENTITY_IS_LIST,
    ENTITY_MODELS,
    KeyTemplate,
    RecordMapper,
    compile_path,
)
from datasources.resilience import RequestBudget
from datasources.tracing import UpstreamTracer

log = structlog.get_logger("customer_graph.datasources")

_JSON = {"content-type": "application/json"}


class GraphQLSourceClient:
    """Fetches and normalizes one GraphQL upstream's records for many customers at once."""

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
        # The config requires the operation of a source of format graphql.
        assert config.graphql is not None
        self.name = name
        self.config = config
        self._request = config.graphql
        self._metrics = metrics
        self._upstream = Upstream(name, config, transport, metrics, auth, timer, tracer)
        self.guard = self._upstream.guard
        self._keys = KeyTemplate(config.key_template)
        self._is_list = ENTITY_IS_LIST[config.entity]
        self._mapper = RecordMapper(ENTITY_MODELS[config.entity], config.fields)
        self._operations = OperationBuilder(self._request, config.fields)
        key = self._request.key
        self._record_key = compile_path(key) if self._request.operation == "list" and key else None
        field = self._request.field
        self._records_of = (
            compile_path(field) if self._request.operation == "entities" and field else None
        )

    @property
    def circuit(self) -> str:
        """The state of this source's circuit breaker: closed, open or half_open."""
        return self.guard.breaker.state

    async def fetch_many(
        self,
        customer_ids: Sequence[str],
        fields: frozenset[str] | None = None,
        *,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
    ) -> Records:
        """Records for the given customers (unknown ones absent; none of a list entity is an
        empty list), one operation per ``max_batch_size`` keys.

        A customer whose part of the answer holds an upstream error gets that error, with
        the upstream's message and path; the other customers of the batch keep their data.
        """
        by_key: dict[str, str] = {}
        for cid in dict.fromkeys(customer_ids):
            key = self._keys.to_source(cid)
            if key is not None:
                by_key[key] = cid

        async def fetch(chunk: list[str]) -> Records:
            return await self._fetch_chunk(chunk, by_key, fields, caller_token, budget)

        records = await fetch_in_chunks(by_key, self._request.max_batch_size, fetch)
        if self._is_list:
            for cid in by_key.values():
                records.setdefault(cid, ())
        return records

    async def _fetch_chunk(
        self,
        keys: list[str],
        by_key: dict[str, str],
        fields: frozenset[str] | None,
        caller_token: str | None,
        budget: RequestBudget | None,
    ) -> Records:
        content = orjson.dumps(
            {
                "query": self._operations.document(fields),
                "variables": self._operations.variables(keys),
                "operationName": OPERATION_NAME,
            }
        )
        body = await self._upstream.call(
            "POST",
            self._request.path,
            (),
            content,
            _JSON,
            caller_token,
            budget,
            decoded=True,
            batch_size=len(keys),
        )
        root = self._operations.root
        try:
            answer = read_answer(body, root, keys, self._record_key, self._records_of)
        except CodecError as exc:
            raise self._upstream.unusable(str(exc)) from None
        if answer.batch_failure is not None:
            message, path = answer.batch_failure
            log.warning("upstream graphql error", source=self.name, path=list(path))
            self._metrics.graphql_errors.labels(self.name).inc(len(keys))
            raise UpstreamGraphQLError(message, source=self.name, path=path)
        out: Records = {}
        for key, raw in answer.records.items():
            cid = by_key.get(key)
            if cid is None:
                # A record for a customer nobody asked for: dropped, as a REST source's are.
                log.warning("record without a usable key", source=self.name, key=key)
                continue
            out[cid] = self._map(raw, fields, cid)
        for key, (message, path) in answer.failures.items():
            log.warning("upstream graphql error", source=self.name, path=list(path))
            cid = by_key.get(key)
            if cid is None:
                continue
            self._metrics.graphql_errors.labels(self.name).inc()
            out[cid] = UpstreamGraphQLError(message, source=self.name, customer_id=cid, path=path)
        return out

    def _map(self, raw: list[Any], fields: frozenset[str] | None, customer_id: str) -> Any:
        mapped = [self._mapper.map(r, fields) for r in raw]
        for record in mapped:
            for field in record.issues:
                self._metrics.invalid_fields.labels(self.name, field).inc()
        if any(record.issues for record in mapped):
            log.warning("invalid upstream fields", source=self.name, customer_id=customer_id)
        if self._is_list:
            return tuple(mapped)
        return mapped[-1]
