"""All configured sources together: who feeds which field, and their HTTP clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import httpx

from core import Clock, SystemTimer, Timer
from datasources.cache import CachedSource, EntityCache
from datasources.config import CacheConfig, SourceConfig
from datasources.http import SourceClient, upstream_auth
from datasources.metrics import SourceMetrics
from datasources.tracing import UpstreamTracer

# One transport per source: its connection pool and limits. Batch calls go straight to it;
# an httpx client over it serves the rarer calls (access tokens).
TransportFactory = Callable[[SourceConfig], httpx.AsyncBaseTransport]


class SourceSet:
    """The gateway's upstreams, opened at start-up and closed at shutdown.

    ``secrets`` maps the environment variable names that the sources' auth tables mention to
    their values. ``clock`` (seconds) ages cached records and upstream access tokens.
    ``timer`` (monotonic) drives request deadlines, breakers, quotas and retry waits.
    ``tracer``, when given, traces every upstream call.
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
    ) -> None:
        cache = cache or CacheConfig()
        self.configs = dict(configs)
        self.metrics = metrics
        transports = {name: transport_factory(cfg) for name, cfg in configs.items()}
        self._http = {
            name: httpx.AsyncClient(transport=transport, follow_redirects=False)
            for name, transport in transports.items()
        }
        # One timer for every source: tests move time for breakers, queues and deadlines alike.
        timer = timer or SystemTimer()
        self.clients = {
            name: SourceClient(
                name,
                cfg,
                transports[name],
                metrics,
                upstream_auth(name, cfg, secrets or {}, self._http[name], clock),
                timer,
                tracer,
            )
            for name, cfg in configs.items()
        }
        self.cache = EntityCache(cache, configs, metrics, clock)
        self._cached = {
            name: CachedSource(client, self.cache, metrics, clock, coalesce=cache.coalesce)
            for name, client in self.clients.items()
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

    def source(self, name: str) -> CachedSource:
        """The named source behind its cache: what loaders fetch records through."""
        return self._cached[name]

    async def invalidate(self, source: str, customer_ids: Iterable[str]) -> None:
        """Forget what is cached of these customers in ``source``, here and in every replica.

        Call it after a write to the source; a failure of the shared tier is logged, not
        raised (its entries then live out their ttl).
        """
        await self._cached[source].invalidate(list(customer_ids))

    def forget_locally(self, source: str, customer_ids: Sequence[str]) -> None:
        """Drop what this process holds of these customers in ``source``, after another
        replica invalidated them everywhere else."""
        cached = self._cached.get(source)
        if cached is not None:
            cached.forget_locally(customer_ids)

    async def start(self) -> None:
        """Join the other replicas' invalidations; call once the event loop runs."""
        await self.cache.start()

    def owner(self, entity: str, field: str) -> str | None:
        """The source that feeds ``field`` of ``entity``, if any does."""
        return self._owners.get((entity, field))

    def feeds(self, entity: str) -> Mapping[str, tuple[str, ...]]:
        """Each source that feeds fields of ``entity``, with those fields."""
        return self._feeds.get(entity, {})

    def source_of(self, entity: str) -> str | None:
        """The one source of a non-customer entity (orders, loyalty, preferences)."""
        return self._entity_source.get(entity)

    def plan(self, demand: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
        """Which sources to call, each with the model fields wanted from it.

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
                    f for f in fields if f in self.configs[name].fields
                )
        return {name: frozenset(fields) for name, fields in wanted.items()}

    def circuits(self) -> dict[str, str]:
        """Each source's circuit breaker state, for readiness details."""
        return {name: client.circuit for name, client in self.clients.items()}

    @property
    def closed(self) -> bool:
        """True once every upstream HTTP client is closed."""
        return all(http.is_closed for http in self._http.values())

    async def aclose(self) -> None:
        await asyncio.gather(*(source.aclose() for source in self._cached.values()))
        await self.cache.aclose()
        await asyncio.gather(*(client.aclose() for client in self._http.values()))
