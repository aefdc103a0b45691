"""Requests per identity with the ``limits`` library, in memory or shared through Redis."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import limits
import structlog
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.util import WindowStats

from auth.config import RateLimitSettings
from auth.identity import Identity
from core import RateLimited, RedisHealth, RedisHealthBoard, RedisUnavailable

log = structlog.get_logger("customer_graph.auth")

_STRATEGIES: dict[str, Callable[[Any], RateLimiter]] = {
    "fixed-window": FixedWindowRateLimiter,
    "moving-window": MovingWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
}


class IdentityRateLimiter:
    """Counts each identity's requests against its rate; ``RateLimited`` when over it.

    When the shared storage is unavailable the request is let through: an outage of the
    counter store must not become an outage of the gateway. Its ``RedisHealth`` bounds each
    count by the command timeout and, once Redis failed, lets requests through without
    asking it until it answers again (core/redis_health.py).
    """

    def __init__(
        self,
        settings: RateLimitSettings,
        storage: Storage,
        *,
        health: RedisHealth | None = None,
    ) -> None:
        self._settings = settings
        self._limiter = _STRATEGIES[settings.strategy](storage)
        self._health = health
        self._items: dict[str, limits.RateLimitItem] = {}

    @classmethod
    def open(cls, settings: RateLimitSettings, redis: RedisHealthBoard) -> IdentityRateLimiter:
        """A limiter over the storage ``settings.storage_url`` names; a Redis one shares
        the client and health of that URL on ``redis``."""
        if settings.storage_url.startswith("memory://"):
            return cls(settings, MemoryStorage())
        health = redis.health(settings.storage_url)
        storage = RedisStorage(
            f"async+{settings.storage_url}",
            implementation="redispy",
            # redis-py's own errors, which RedisHealth knows.
            wrap_exceptions=False,
            connection_pool=health.client.connection_pool,  # type: ignore[arg-type]
        )
        return cls(settings, storage, health=health)

    def rate_for(self, identity: Identity) -> str | None:
        """The rate ``identity`` is held to; None means unlimited."""
        if identity.rate_limit is not None:
            return identity.rate_limit
        rate: str | None = getattr(self._settings, identity.kind)
        return rate

    async def hit(self, identity: Identity, cost: int = 1) -> None:
        """Count one request (or ``cost`` units, such as the upstream writes a mutation
        causes) for ``identity``; raise ``RateLimited`` when over its rate."""
        rate = self.rate_for(identity)
        if rate is None:
            return
        item = self._items.get(rate)
        if item is None:
            item = self._items[rate] = limits.parse(rate)
        key = (self._settings.key_prefix, identity.rate_limit_key)

        async def count() -> WindowStats | None:
            if await self._limiter.hit(item, *key, cost=cost):
                return None
            return await self._limiter.get_window_stats(item, *key)

        if self._health is None:
            stats = await count()
        else:
            try:
                stats = await self._health.call("rate limit", count)
            except RedisUnavailable:
                return
        if stats is None:
            return
        # The storage stamps windows with the wall clock, so the wait is measured with it too.
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        log.info("rate limited", kind=identity.kind, key=identity.rate_limit_key, rate=rate)
        raise RateLimited(
            f"rate limit of {item} exceeded; retry after {retry_after} s",
            retry_after=retry_after,
        )
