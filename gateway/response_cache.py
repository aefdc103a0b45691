"""Whole answers of hot queries, kept in this process and served again without running them.

An answer is keyed by the normalized operation (the document as graphql-core prints it, and
the operation's name), its variables and the caller's partition (``auth.answer_partition``:
a consumer's own, or the kind, class and scopes everyone else is judged by). It lives until
the first record it was built from stops being fresh, at most ``max_ttl``, and is dropped
as soon as any customer it holds is invalidated (writes, webhooks, other replicas), which
the entity cache tells it of. Only complete answers are kept: no errors, no warnings, no
listing page, no source called with the caller's own token.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse, print_ast
from prometheus_client import CollectorRegistry, Counter, Gauge

from auth import AnswerPartition, Identity, answer_partition
from core import Clock
from gateway.settings import ResponseCacheSettings
from resolvers import Provenance

# The normalized document, the operation's name, the variables as sorted JSON, the partition.
AnswerKey = tuple[str, str | None, bytes, AnswerPartition]


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """One answer's bytes, its operation's name, and when it was stored and expires."""

    body: bytes
    operation_name: str | None
    stored_at: float
    expires: float
    customers: frozenset[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class _Document:
    """A query text as the cache knows it: printed once, and its queries by name."""

    normalized: str
    # Each query's name (None for an anonymous one); mutations and subscriptions are absent.
    queries: frozenset[str | None]
    # The name an operation without ``operationName`` runs as, when the document has one.
    sole: str | None


class Running:
    """One answer being computed: what was invalidated meanwhile must not be stored."""

    __slots__ = ("dropped", "lost")

    def __init__(self) -> None:
        self.dropped: set[tuple[str, str]] = set()
        self.lost = False


class ResponseCacheMetrics:
    """What the response cache counts; served whether or not it is enabled."""

    def __init__(self, registry: CollectorRegistry) -> None:
        lookups = Counter(
            "customer_graph_response_cache_lookups_total",
            "Lookups of whole answers by result (hit, miss).",
            ["result"],
            registry=registry,
        )
        self.hits, self.misses = lookups.labels("hit"), lookups.labels("miss")
        self.stored = Counter(
            "customer_graph_response_cache_stored_total",
            "Answers kept in the response cache.",
            registry=registry,
        )
        self.invalidated = Counter(
            "customer_graph_response_cache_invalidated_total",
            "Answers dropped because a customer they hold changed.",
            registry=registry,
        )
        self.entries = Gauge(
            "customer_graph_response_cache_entries",
            "Answers held in the response cache.",
            registry=registry,
        )


class ResponseCache:
    """Keeps whole answers by operation, variables and partition; an ``InvalidationWatcher``."""

    def __init__(
        self, settings: ResponseCacheSettings, clock: Clock, metrics: ResponseCacheMetrics
    ) -> None:
        self._max_entries = settings.max_entries
        self._max_ttl = settings.max_ttl
        self._operations = frozenset(settings.operations) if settings.operations else None
        self._clock = clock
        self._answers: OrderedDict[AnswerKey, CachedAnswer] = OrderedDict()
        self._by_customer: dict[tuple[str, str], set[AnswerKey]] = {}
        self._documents: OrderedDict[str, _Document] = OrderedDict()
        self._running: set[Running] = set()
        self._metrics = metrics
        metrics.entries.set_function(lambda: len(self._answers))

    def lookup(
        self,
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        identity: Identity,
    ) -> CachedAnswer | None:
        """The fresh answer kept for this operation, these variables and this caller."""
        document = self._documents.get(query)
        if document is not None:
            key = _key(document, operation_name, variables, identity)
            answer = self._answers.get(key)
            if answer is not None:
                if answer.expires > self._clock():
                    self._answers.move_to_end(key)
                    self._metrics.hits.inc()
                    return answer
                self._remove(key, answer)
        self._metrics.misses.inc()
        return None

    def now(self) -> float:
        """The cache's clock."""
        return self._clock()

    def begin(self) -> Running:
        """Call before computing an answer that may be kept; ``end`` it afterwards."""
        running = Running()
        self._running.add(running)
        return running

    def end(self, running: Running) -> None:
        self._running.discard(running)

    def keep(
        self,
        running: Running,
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        identity: Identity,
        body: bytes,
        provenance: Provenance,
    ) -> CachedAnswer | None:
        """Keep a complete answer (no errors, no warnings) computed since ``begin``; None
        when it may not be kept: not a configured query, built from records no longer
        fresh or invalidated meanwhile, or holding a listing page."""
        if not provenance.reusable or running.lost or running.dropped & provenance.customers:
            return None
        now = self._clock()
        expires = min(now + self._max_ttl, provenance.fresh_until)
        if expires <= now:
            return None
        document = self._document(query)
        if document is None:
            return None
        key = _key(document, operation_name, variables, identity)
        name = key[1]
        if name not in document.queries or (
            self._operations is not None and name not in self._operations
        ):
            return None
        old = self._answers.get(key)
        if old is not None:
            self._remove(key, old)
        customers = frozenset(provenance.customers)
        answer = CachedAnswer(body, name, now, expires, customers)
        self._answers[key] = answer
        for customer in customers:
            self._by_customer.setdefault(customer, set()).add(key)
        while len(self._answers) > self._max_entries:
            self._remove(*next(iter(self._answers.items())))
        self._metrics.stored.inc()
        return answer

    def dropped(self, source: str, customer_ids: Sequence[str]) -> None:
        for running in self._running:
            running.dropped.update((source, cid) for cid in customer_ids)
        for cid in customer_ids:
            for key in self._by_customer.get((source, cid), set()).copy():
                answer = self._answers.get(key)
                if answer is not None:
                    self._remove(key, answer)
                    self._metrics.invalidated.inc()

    def lost(self) -> None:
        for running in self._running:
            running.lost = True
        self._answers.clear()
        self._by_customer.clear()

    def _remove(self, key: AnswerKey, answer: CachedAnswer) -> None:
        del self._answers[key]
        for customer in answer.customers:
            keys = self._by_customer.get(customer)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_customer[customer]

    def _document(self, query: str) -> _Document | None:
        document = self._documents.get(query)
        if document is None:
            # Only texts that have just been answered get here: parsed and validated already.
            try:
                parsed = parse(query, no_location=True)
            except GraphQLError:
                return None
            operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
            names = [o.name.value if o.name else None for o in operations]
            queries = frozenset(
                name
                for name, o in zip(names, operations, strict=True)
                if o.operation is OperationType.QUERY
            )
            sole = names[0] if len(names) == 1 else None
            document = _Document(print_ast(parsed), queries, sole)
            self._documents[query] = document
            if len(self._documents) > self._max_entries:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(query)
        return document


def _key(
    document: _Document,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    identity: Identity,
) -> AnswerKey:
    name = operation_name if operation_name is not None else document.sole
    values = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    return (document.normalized, name, values, answer_partition(identity))
