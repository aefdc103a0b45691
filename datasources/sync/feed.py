"""Customer changes announced by upstreams, delivered to this process's subscribers and,
through Redis when configured, to every replica's.

Delivery is at most once and in memory: a subscriber that falls ``queue_size`` batches
behind, or whose process lost its Redis subscription for a while, gets what was queued and
then ends with ``CHANGES_MISSED`` rather than being left to believe it saw everything. It
then resubscribes and catches up with a delta query (``customerList(updatedSince:)``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import structlog

from core import ChangesMissed, RedisHealthBoard
from datasources.cache import RedisTier
from datasources.config import CacheConfig
from datasources.metrics import SourceMetrics

log = structlog.get_logger("customer_graph.changes")

# Drops a remote change's stale local copies before subscribers read the customer again:
# the cache's own invalidation message travels on another connection and may come later.
ForgetLocally = Callable[[str, Sequence[str]], None]


@dataclass(frozen=True, slots=True)
class CustomerChanged:
    """One customer's record in ``source`` changed (``event``) at ``at``."""

    customer_id: str
    source: str
    event: str
    at: datetime


Batch = tuple[CustomerChanged, ...]


class ChangeSubscription:
    """Batches of changes to some customers (all when ``customer_ids`` is None), in order.

    Iterate it; leave with ``async with`` (or ``close``) so the feed forgets it.
    """

    def __init__(
        self, feed: ChangeFeed, customer_ids: frozenset[str] | None, queue_size: int
    ) -> None:
        self._feed = feed
        self._ids = customer_ids
        self._queue: asyncio.Queue[Batch | None] = asyncio.Queue(queue_size)
        self._ended: BaseException | None = None

    def offer(self, changes: Batch) -> None:
        if self._ended is not None:
            return
        ids = self._ids
        wanted = changes if ids is None else [c for c in changes if c.customer_id in ids]
        if not wanted:
            return
        try:
            self._queue.put_nowait(tuple(wanted))
        except asyncio.QueueFull:
            self.end(ChangesMissed("changes came faster than this subscriber read them"))

    def end(self, reason: BaseException) -> None:
        """End the subscription: its iteration raises ``reason`` once the batches already
        queued are read."""
        if self._ended is None:
            self._ended = reason
            # Wakes a reader waiting on an empty queue; a full one has no reader waiting.
            if not self._queue.full():
                self._queue.put_nowait(None)

    def close(self) -> None:
        self.end(StopAsyncIteration())
        self._feed.forget(self)

    def __aiter__(self) -> ChangeSubscription:
        return self

    async def __anext__(self) -> Batch:
        batch = None
        if self._ended is None or not self._queue.empty():
            batch = await self._queue.get()
        if batch is None:
            assert self._ended is not None
            raise self._ended
        return batch

    async def __aenter__(self) -> ChangeSubscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class ChangeFeed:
    """Publishes customer changes to subscribers here and, with Redis, in every replica."""

    def __init__(
        self,
        cache: CacheConfig,
        metrics: SourceMetrics,
        redis: RedisHealthBoard,
        *,
        queue_size: int,
        forget_locally: ForgetLocally | None = None,
    ) -> None:
        self._metrics = metrics
        self._queue_size = queue_size
        self._forget_locally = forget_locally
        self._subscriptions: set[ChangeSubscription] = set()
        self._remote = (
            RedisTier(redis.health(cache.redis_url), metrics) if cache.redis_url else None
        )
        self._channel = f"{cache.redis_prefix}changes"
        # Tells this process's own messages apart when Redis sends them back.
        self._origin = uuid.uuid4().hex
        self._subscribed_before = False
        metrics.subscribers.set_function(lambda: len(self._subscriptions))

    async def start(self) -> None:
        """Join the other replicas' changes; call once the event loop runs."""
        if self._remote is not None:
            await self._remote.subscribe(self._channel, self._on_message, self._on_subscribed)

    async def aclose(self) -> None:
        """End every subscription (their iteration stops) and leave Redis."""
        for subscription in list(self._subscriptions):
            subscription.end(StopAsyncIteration())
        self._subscriptions.clear()
        if self._remote is not None:
            await self._remote.aclose()

    def subscribe(self, customer_ids: Iterable[str] | None = None) -> ChangeSubscription:
        """Changes from now on, to these customers or to all of them."""
        ids = frozenset(customer_ids) if customer_ids is not None else None
        subscription = ChangeSubscription(self, ids, self._queue_size)
        self._subscriptions.add(subscription)
        return subscription

    def forget(self, subscription: ChangeSubscription) -> None:
        self._subscriptions.discard(subscription)

    async def publish(self, changes: Sequence[CustomerChanged]) -> None:
        """Deliver to this process's subscribers at once, then to the other replicas'.

        A Redis failure is logged and counted, not raised: local subscribers still hear.
        """
        if not changes:
            return
        self._deliver(tuple(changes), "local")
        if self._remote is not None:
            message = {"origin": self._origin, "changes": [_encode(c) for c in changes]}
            await self._remote.publish(self._channel, orjson.dumps(message))

    def _deliver(self, changes: Batch, origin: str) -> None:
        self._metrics.changes.labels(origin).inc(len(changes))
        for subscription in list(self._subscriptions):
            subscription.offer(changes)

    def _on_message(self, data: bytes) -> None:
        try:
            message = orjson.loads(data)
            origin = message["origin"]
            changes = tuple(_decode(c) for c in message["changes"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("malformed change message ignored")
            return
        if origin == self._origin or not changes:
            return
        if self._forget_locally is not None:
            by_source: dict[str, list[str]] = {}
            for change in changes:
                by_source.setdefault(change.source, []).append(change.customer_id)
            for source, ids in by_source.items():
                self._forget_locally(source, ids)
        self._deliver(changes, "remote")

    def _on_subscribed(self) -> None:
        # After a reconnection, other replicas' changes sent meanwhile are lost for good.
        if self._subscribed_before:
            for subscription in list(self._subscriptions):
                subscription.end(ChangesMissed("the gateway lost its change feed for a while"))
        self._subscribed_before = True


def _encode(change: CustomerChanged) -> dict[str, Any]:
    return {
        "customerId": change.customer_id,
        "source": change.source,
        "event": change.event,
        "at": change.at.isoformat(),
    }


def _decode(data: dict[str, Any]) -> CustomerChanged:
    return CustomerChanged(
        str(data["customerId"]),
        str(data["source"]),
        str(data["event"]),
        datetime.fromisoformat(data["at"]),
    )
