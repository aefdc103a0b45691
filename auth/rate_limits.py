"""Requests per identity with the ``limits`` library, in memory or shared through Redis."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import limits
import redis.asyncio
import structlog
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.errors import StorageError

from auth.config import RateLimitSettings
from auth.identity import Identity
from core import RateLimited

log = structlog.get_logger("customer_graph.auth")

_STRATEGIES: dict[str, Callable[[Any], RateLimiter]] = {
    "fixed-window": FixedWindowRateLimiter,
    "moving-window": MovingWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
}


class IdentityRateLimiter:
    """Counts each identity's requests against its rate; ``RateLimited`` when over it.

    When the shared storage is unreachable the request is let through and a warning is
    logged: an outage of the counter store must not become an outage of the gateway.
    """

    def __init__(
        self,
        settings: RateLimitSettings,
        storage: Storage,
        *,
        pool: redis.asyncio.ConnectionPool | None = None,
    ) -> None:
        self._settings = settings
        self._limiter = _STRATEGIES[settings.strategy](storage)
        self._pool = pool
        self._items: dict[str, limits.RateLimitItem] = {}

    @classmethod
    def open(cls, settings: RateLimitSettings) -> IdentityRateLimiter:
        """A limiter over the storage ``settings.storage_url`` names; close with ``aclose``."""
        if settings.storage_url.startswith("memory://"):
            return cls(settings, MemoryStorage())
        pool = redis.asyncio.ConnectionPool.from_url(
            settings.storage_url, socket_connect_timeout=1, socket_timeout=1
        )
        storage = RedisStorage(
            f"async+{settings.storage_url}",
            implementation="redispy",
            wrap_exceptions=True,
            connection_pool=pool,  # type: ignore[arg-type]  # passed on to redis-py
        )
        return cls(settings, storage, pool=pool)

    def rate_for(self, identity: Identity) -> str | None:
        """The rate ``identity`` is held to; None means unlimited."""
        if identity.rate_limit is not None:
            return identity.rate_limit
        rate: str | None = getattr(self._settings, identity.kind)
        return rate

    async def hit(self, identity: Identity) -> None:
        """Count one request for ``identity``; raise ``RateLimited`` when over its rate."""
        rate = self.rate_for(identity)
        if rate is None:
            return
        item = self._items.get(rate)
        if item is None:
            item = self._items[rate] = limits.parse(rate)
        key = (self._settings.key_prefix, identity.rate_limit_key)
        try:
            if await self._limiter.hit(item, *key):
                return
            stats = await self._limiter.get_window_stats(item, *key)
        except StorageError as exc:
            log.warning(
                "rate limit storage unavailable; request allowed",
                error=type(exc.storage_error).__name__,
            )
            return
        # The storage stamps windows with the wall clock, so the wait is measured with it too.
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        log.info("rate limited", kind=identity.kind, key=identity.rate_limit_key, rate=rate)
        raise RateLimited(
            f"rate limit of {item} exceeded; retry after {retry_after} s",
            retry_after=retry_after,
        )

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
