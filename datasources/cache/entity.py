"""The two-tier entity cache: a bounded map per process, Redis shared by replicas.

Keys are per source and customer; under each, one value per field set it was fetched with
(see ``cache_entry``), so sparse fetches never poison each other and a wider fetch serves a
narrower request. In Redis a customer's variants are the fields of one hash,
``{prefix}e:{source}:{config fingerprint}:{customer id}``, so invalidation deletes one key
per customer whatever the field sets, and a config change never reads old-shaped entries.
Telling the other replicas to drop their local copies is the replica bus's job
(``datasources.sync``); this cache drops what it is told to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import structlog

from core import Clock, RedisHealthBoard
from datasources.cache.codec import CacheDecodeError, RecordCodec
from datasources.cache.entry import (
    Entry,
    FieldSet,
    field_set_id,
    field_set_of,
    newest_covering,
)
from datasources.cache.local_tier import LocalTier
from datasources.cache.redis_tier import RedisTier
from datasources.config import CacheConfig, SourceConfig
from datasources.metrics import SourceMetrics

log = structlog.get_logger("customer_graph.cache")


def retention(config: SourceConfig) -> float:
    """How long an entry is worth keeping: fresh, then servable as stale."""
    return config.ttl + max(config.stale_while_revalidate, config.stale_if_error)


class InvalidationWatcher(Protocol):
    """Told of every invalidation the entity cache sees, here or from another replica, so
    what was built from the dropped records (whole answers) can be dropped with them."""

    def dropped(self, source: str, customer_ids: Sequence[str]) -> None:
        """These customers' records of ``source`` changed."""

    def lost(self) -> None:
        """Invalidations may have been missed (the replica bus was down): drop everything."""


class EntityCache:
    """Cached records of every source, in this process and, when configured, in Redis."""

    def __init__(
        self,
        config: CacheConfig,
        sources: Mapping[str, SourceConfig],
        metrics: SourceMetrics,
        clock: Clock,
        redis: RedisHealthBoard,
    ) -> None:
        self._sources = dict(sources)
        self._metrics = metrics
        self._clock = clock
        self._local: dict[str, LocalTier] = {}
        if config.enabled:
            for name, source in sources.items():
                if retention(source) > 0:
                    tier = self._local[name] = LocalTier(
                        config.l1_max_entries, retention(source), clock
                    )
                    metrics.cache_entries.labels(name).set_function(tier.__len__)
        self._remote = (
            RedisTier(redis.health(config.redis_url), metrics)
            if self._local and config.redis_url
            else None
        )
        self._codecs = {name: RecordCodec(source.entity) for name, source in sources.items()}
        self._prefixes = {
            name: f"{config.redis_prefix}e:{name}:{_fingerprint(source)}:"
            for name, source in sources.items()
        }
        # Lookups waiting for Redis, told of every drop meanwhile.
        self._asking: set[_Asking] = set()
        self._watchers: list[InvalidationWatcher] = []

    def watch(self, watcher: InvalidationWatcher) -> None:
        """Tell ``watcher`` of every invalidation from now on, whether or not the source's
        records are cached."""
        self._watchers.append(watcher)

    def holds(self, source: str) -> bool:
        """Whether records of ``source`` are cached at all."""
        return source in self._local

    async def lookup(
        self, source: str, customer_ids: Sequence[str], wanted: FieldSet
    ) -> dict[str, Entry]:
        """The newest entry able to serve ``wanted`` for each customer that has one.

        Redis is asked only for customers with nothing fresh locally; what it has fills the
        local tier. The answer is as of its return, not of the call: what was stored or
        invalidated here while Redis answered is taken into account.
        """
        local = self._local.get(source)
        if local is None:
            return {}
        now = self._clock()
        ttl = self._sources[source].ttl
        found: dict[str, Entry] = {}
        ask: list[str] = []
        for cid in customer_ids:
            entry = local.get(cid, wanted)
            if entry is not None:
                found[cid] = entry
            if entry is None or now - entry.stored_at >= ttl:
                ask.append(cid)
        if not ask or self._remote is None:
            return found
        prefix = self._prefixes[source]
        asking = _Asking(source, ask)
        self._asking.add(asking)
        try:
            hashes = await self._remote.get_many([prefix + cid for cid in ask])
        finally:
            self._asking.discard(asking)
        for cid in ask:
            # Redis read these before the invalidation deleted them: older than the drop.
            variants = None if cid in asking.dropped else (hashes or {}).get(prefix + cid)
            entry = self._decode_newest(source, variants, wanted) if variants else None
            if entry is not None:
                self._metrics.cache_l2_hits.labels(source).inc()
                local.put(cid, entry)
            # Read the local tier again: a fetch that landed while Redis answered stored its
            # records there, and the fetch has left the in-flight table by now, so a miss
            # here would start a second upstream call for the same records.
            current = local.get(cid, wanted)
            if current is None:
                found.pop(cid, None)
            else:
                found[cid] = current
        return found

    async def store(
        self, source: str, values: Mapping[str, Any], fields: FieldSet, stored_at: float
    ) -> None:
        """Keep each customer's value (None for an unknown customer) fetched with ``fields``."""
        local = self._local.get(source)
        if local is None or not values:
            return
        for cid, value in values.items():
            local.put(cid, Entry(value, stored_at, fields))
        if self._remote is None:
            return
        codec = self._codecs[source]
        prefix = self._prefixes[source]
        name = field_set_id(fields)
        await self._remote.put_many(
            {prefix + cid: (name, codec.encode(value, stored_at)) for cid, value in values.items()},
            retention(self._sources[source]),
        )

    async def invalidate(self, source: str, customer_ids: Iterable[str]) -> None:
        """Drop these customers' entries of ``source``, every field set, in both tiers; the
        caller tells the other replicas."""
        ids = list(dict.fromkeys(customer_ids))
        self._tell_watchers(source, ids)
        local = self._local.get(source)
        if local is None or not ids:
            return
        self._metrics.invalidations.labels("local").inc(local.drop(ids))
        self._dropped(source, ids)
        if self._remote is None:
            return
        prefix = self._prefixes[source]
        await self._remote.delete([prefix + cid for cid in ids])

    def forget_locally(self, source: str, customer_ids: Iterable[str]) -> None:
        """Drop these customers' entries of ``source`` from this process only: another
        replica has already invalidated the shared tier."""
        ids = list(customer_ids)
        self._tell_watchers(source, ids)
        local = self._local.get(source)
        if local is not None:
            self._metrics.invalidations.labels("remote").inc(local.drop(ids))
            self._dropped(source, ids)

    def _decode_newest(
        self, source: str, variants: Mapping[str, bytes], wanted: FieldSet
    ) -> Entry | None:
        codec = self._codecs[source]
        entries = []
        for name, data in variants.items():
            fields = field_set_of(name)
            if fields is not None and (wanted is None or not wanted <= fields):
                continue
            try:
                value, stored_at = codec.decode(data)
            except CacheDecodeError as exc:
                log.warning("unreadable cache entry ignored", source=source, error=str(exc))
                continue
            entries.append(Entry(value, stored_at, fields))
        return newest_covering(entries, wanted)

    def forget_all_locally(self) -> None:
        """Drop everything this process holds: invalidations were missed for good."""
        for local in self._local.values():
            local.clear()
        for asking in self._asking:
            asking.dropped.update(asking.ids)
        for watcher in self._watchers:
            watcher.lost()

    def _tell_watchers(self, source: str, customer_ids: Sequence[str]) -> None:
        if customer_ids:
            for watcher in self._watchers:
                watcher.dropped(source, customer_ids)

    def _dropped(self, source: str, customer_ids: Iterable[str]) -> None:
        for asking in self._asking:
            if asking.source == source:
                asking.dropped.update(cid for cid in customer_ids if cid in asking.ids)


class _Asking:
    """One lookup's customers while Redis is asked for them, and those dropped meanwhile."""

    __slots__ = ("dropped", "ids", "source")

    def __init__(self, source: str, ids: Sequence[str]) -> None:
        self.source = source
        self.ids = frozenset(ids)
        self.dropped: set[str] = set()


def _fingerprint(config: SourceConfig) -> str:
    # How a source announces changes does not shape its records.
    shape = config.model_dump_json(exclude={"webhook"})
    return hashlib.sha256(shape.encode()).hexdigest()[:12]
