"""All configured sources together, behind one facade: who feeds which field, loading through
the cache, the primary's listing, and writes that invalidate what they change."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from core import Clock, RedisHealthBoard, RedisPolicy, SystemTimer, Timer
from datasources.cache import (
    CachedSource,
    EntityCache,
    Fetched,
    InvalidationWatcher,
    RecordClient,
)
from datasources.config import BusConfig, CacheConfig, SourceConfig
from datasources.graphql import GraphQLSourceClient
from datasources.http import Records, SourceClient, upstream_auth
from datasources.metrics import SourceMetrics
from datasources.resilience import RequestBudget
from datasources.sync import BusMessage, Invalidation, ReplicaBus
from datasources.tracing import UpstreamTracer

# Which sources to call, each with the model fields wanted from it.
Wanted = Mapping[str, frozenset[str]]

# One upstream write: the source, and its model fields' new values.
Write = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class ListedPage:
    """One page of the primary's listing: its customers in order, their records, and the
    cursor of the next page (None on the last)."""

    customer_ids: list[str]
    records: Records
    next_cursor: str | None


# One transport per source: its connection pool and limits. Batch calls go straight to it;
# an httpx client over it serves the rarer calls (access tokens).
TransportFactory = Callable[[SourceConfig], httpx.AsyncBaseTransport]


class SourceSet:
    """The gateway's upstreams, opened at start-up and closed at shutdown.

    ``secrets`` maps the environment variable names that the sources' auth tables mention to
    their values. ``clock`` (seconds) ages cached records and upstream access tokens.
    ``timer`` (monotonic) drives request deadlines, breakers, quotas and retry waits.
    ``tracer``, when given, traces every upstream call. ``redis`` holds the health of the
    cache's Redis, shared with its other users; without it the set keeps its own. ``bus``
    sizes the replica bus (``self.bus``), on the cache's Redis when one is configured.
    """

    def __init__(
        self,
        configs: Mapping[str, SourceConfig],
        transport_factory: TransportFactory,
        metrics: SourceMetrics,
        cache: CacheConfig | None = None,
        clock: Clock = time.time,
        secrets: Mapping[str, str] | None = None,
        timer: Timer | None = None,
        tracer: UpstreamTracer | None = None,
        redis: RedisHealthBoard | None = None,
        bus: BusConfig | None = None,
    ) -> None:
        cache = cache or CacheConfig()
        self._clock = clock
        self._configs = dict(configs)
        transports = {name: transport_factory(cfg) for name, cfg in configs.items()}
        self._http = {
            name: httpx.AsyncClient(transport=transport, follow_redirects=False)
            for name, transport in transports.items()
        }
        # One timer for every source: tests move time for breakers, queues and deadlines alike.
        timer = timer or SystemTimer()
        self._clients: dict[str, SourceClient] = {}
        graphql: dict[str, GraphQLSourceClient] = {}
        for name, cfg in configs.items():
            auth = upstream_auth(name, cfg, secrets or {}, self._http[name], clock)
            if cfg.graphql is not None:
                graphql[name] = GraphQLSourceClient(
                    name, cfg, transports[name], metrics, auth, timer, tracer
                )
            else:
                self._clients[name] = SourceClient(
                    name, cfg, transports[name], metrics, auth, timer, tracer
                )
        self._fetchers: dict[str, RecordClient] = {**self._clients, **graphql}
        self._own_redis = redis is None
        self._redis = redis or RedisHealthBoard(RedisPolicy(), timer)
        self._cache = EntityCache(cache, configs, metrics, clock, self._redis)
        self._metrics = metrics
        self.bus = ReplicaBus(
            bus or BusConfig(),
            f"{cache.redis_prefix}bus",
            self._redis.health(cache.redis_url) if cache.redis_url else None,
            metrics,
        )
        self.bus.subscribe(self)
        self._cached = {
            name: CachedSource(client, self._cache, metrics, clock, coalesce=cache.coalesce)
            for name, client in self._fetchers.items()
        }
        self.primary = next(name for name, cfg in configs.items() if cfg.primary)
        self._owners: dict[tuple[str, str], str] = {}
        for name, cfg in configs.items():
            for field in cfg.fields:
                self._owners[(cfg.entity, field)] = name
        self._feeds: dict[str, dict[str, tuple[str, ...]]] = {}
        for (entity, field), name in self._owners.items():
            fed = self._feeds.setdefault(entity, {})
            fed[name] = (*fed.get(name, ()), field)
        self._entity_source: dict[str, str] = {
            cfg.entity: name for name, cfg in configs.items() if cfg.entity != "customer"
        }

    async def fetch(
        self,
        source: str,
        customer_ids: Sequence[str],
        fields: frozenset[str] | None = None,
        *,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
    ) -> Fetched:
        """Records of ``source`` for these customers, from the cache where it can serve them
        and in one upstream batch (chunked to the source's size) for the rest.

        ``fields`` are the model fields wanted (None: all); ``caller_token`` is the GraphQL
        caller's bearer token, for a source that forwards it; ``budget`` is the request's
        deadline and retries.
        """
        return await self._cached[source].fetch_many(
            customer_ids, fields, caller_token=caller_token, budget=budget
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
    ) -> ListedPage:
        """One page of the primary source's listing, in its order, with the records it
        brought (``fields`` of them; None: whole records)."""
        ids, records, next_cursor = await self._clients[self.primary].list_page(
            limit, cursor, updated_since, fields, caller_token=caller_token, budget=budget
        )
        return ListedPage(ids, records, next_cursor)

    def listing_limit(self) -> int | None:
        """The largest page the primary's listing serves; None when it has no listing."""
        listing = self._configs[self.primary].listing
        return listing.max_limit if listing is not None else None

    async def update(
        self,
        customer_id: str,
        writes: Sequence[Write],
        idempotency_seed: str,
        *,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        """Apply the writes in order; the first that fails stops the rest and is raised.

        Each upstream write carries an idempotency key derived from ``idempotency_seed``, so
        a retry changes nothing twice. Whatever the outcome, every source written to (or
        tried) forgets its cached records of the customer, here and in every replica: a write
        whose answer was lost may still have been applied.
        """
        # Every write is checked before the first is sent: none is half-applied for a value
        # that could never be written.
        for source, changes in writes:
            self._clients[source].check_update(changes)
        written: list[str] = []
        try:
            for position, (source, changes) in enumerate(writes):
                written.append(source)
                await self._clients[source].update(
                    customer_id,
                    changes,
                    # Two writes to one target in one request (the same channel twice) differ.
                    f"{idempotency_seed}\0{position}",
                    caller_token=caller_token,
                    budget=budget,
                )
        finally:
            for source in dict.fromkeys(written):
                await self.invalidate(source, [customer_id])

    async def refresh(
        self, source: str, customer_ids: Sequence[str], *, budget: RequestBudget | None = None
    ) -> Fetched:
        """Fetch these customers' whole records of ``source``, whatever is cached, and cache
        them: what a warm-up does."""
        return await self._cached[source].refresh(customer_ids, budget=budget)

    async def keep(self, source: str, records: Records, stored_at: float) -> None:
        """Cache whole records of ``source`` fetched some other way (a listing page)."""
        await self._cached[source].keep(records, stored_at)

    async def invalidate(self, source: str, customer_ids: Iterable[str]) -> None:
        """Forget what is cached of these customers in ``source``, here and in every replica.

        Call it after a write to the source; a failure of the shared tier is logged, not
        raised (its entries then live out their ttl).
        """
        ids = tuple(dict.fromkeys(customer_ids))
        if not ids:
            return
        await self._cached[source].invalidate(ids)
        await self.bus.publish(Invalidation(source, ids, self._clock()))

    def received(self, message: BusMessage) -> None:
        """Drop what this process holds of the customers another replica invalidated."""
        if not isinstance(message, Invalidation):
            return
        cached = self._cached.get(message.source)
        if cached is not None:
            cached.forget_locally(message.customer_ids)
            self._metrics.change_visible.observe(max(0.0, self._clock() - message.at))

    def lost(self) -> None:
        """Drop everything this process holds: other replicas' invalidations were missed."""
        self._cache.forget_all_locally()

    def watch_invalidations(self, watcher: InvalidationWatcher) -> None:
        """Tell ``watcher`` of every invalidation of any source from now on: writes,
        webhooks and other replicas' invalidations alike."""
        self._cache.watch(watcher)

    async def start(self) -> None:
        """Follow the other replicas' invalidations; call once the event loop runs, after
        every other handler subscribed to ``bus``."""
        await self.bus.start()

    def owner(self, entity: str, field: str) -> str | None:
        """The source that feeds ``field`` of ``entity``, if any does."""
        return self._owners.get((entity, field))

    def feeds(self, entity: str) -> Mapping[str, tuple[str, ...]]:
        """Each source that feeds fields of ``entity``, with those fields."""
        return self._feeds.get(entity, {})

    def source_of(self, entity: str) -> str | None:
        """The one source of a non-customer entity (orders, loyalty, preferences)."""
        return self._entity_source.get(entity)

    def wanted(self, demand: Mapping[str, Iterable[str]]) -> Wanted:
        """Which sources to call for ``demand`` (entity -> model fields), each with the
        model fields wanted from it.

        The primary source is always called, with no fields if none are wanted, because it
        alone knows whether a customer exists.
        """
        wanted: dict[str, set[str]] = {self.primary: set()}
        for entity, fields in demand.items():
            if entity == "customer":
                for field in fields:
                    owner = self.owner(entity, field)
                    if owner is not None:
                        wanted.setdefault(owner, set()).add(field)
                continue
            name = self.source_of(entity)
            if name is not None:
                wanted.setdefault(name, set()).update(
                    f for f in fields if f in self._configs[name].fields
                )
        return {name: frozenset(fields) for name, fields in wanted.items()}

    def circuits(self) -> dict[str, str]:
        """Each source's circuit breaker state, for readiness details."""
        return {name: client.circuit for name, client in self._fetchers.items()}

    @property
    def closed(self) -> bool:
        """True once every upstream HTTP client is closed."""
        return all(http.is_closed for http in self._http.values())

    async def aclose(self) -> None:
        await self.bus.aclose()
        await asyncio.gather(*(source.aclose() for source in self._cached.values()))
        if self._own_redis:
            await self._redis.aclose()
        await asyncio.gather(*(client.aclose() for client in self._http.values()))
