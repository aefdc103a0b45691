"""Customer changes announced by upstreams, delivered to this process's subscribers and,
through the replica bus, to every replica's.

A subscriber that falls ``queue_size`` batches behind gets what was queued and then ends
with ``CHANGES_MISSED`` rather than being left to believe it saw everything; so does every
subscriber when the bus missed messages for good (``ReplicaBus``). It then resubscribes and
catches up with a delta query (``customerList(updatedSince:)``). A replica that only lost
Redis for a while resumes the bus where it left it, and its subscribers miss nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from core import ChangesMissed
from datasources.metrics import SourceMetrics
from datasources.sync.bus import ReplicaBus
from datasources.sync.messages import BusMessage, Changes, CustomerChanged

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
    """Publishes customer changes to subscribers here and, through the bus, in every replica."""

    def __init__(self, bus: ReplicaBus, metrics: SourceMetrics, *, queue_size: int) -> None:
        self._bus = bus
        self._metrics = metrics
        self._queue_size = queue_size
        self._subscriptions: set[ChangeSubscription] = set()
        metrics.subscribers.set_function(lambda: len(self._subscriptions))
        bus.subscribe(self)

    def close(self) -> None:
        """End every subscription: their iteration stops."""
        for subscription in list(self._subscriptions):
            subscription.end(StopAsyncIteration())
        self._subscriptions.clear()

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
        await self._bus.publish(Changes(tuple(changes)))

    def received(self, message: BusMessage) -> None:
        if isinstance(message, Changes) and message.changes:
            self._deliver(message.changes, "remote")

    def lost(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.end(ChangesMissed("the gateway missed changes from other replicas"))

    def _deliver(self, changes: Batch, origin: str) -> None:
        self._metrics.changes.labels(origin).inc(len(changes))
        for subscription in list(self._subscriptions):
            subscription.offer(changes)
