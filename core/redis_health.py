"""Whether a Redis is worth asking now, shared by everything that uses the same URL.

Every use of Redis (rate-limit counters, persisted queries, the entity cache, the change
bus) has a fallback for when Redis cannot answer. What they must not do is wait for it on
every request: a Redis that accepts connections and never answers would add a timeout to
each one. So each call has a deadline, and the first failure marks that Redis unhealthy for
all of its users at once. While it is, calls are not made (``RedisUnavailable`` at once, the
caller's fallback applies) and a background PING probes it after a back-off that doubles up
to ``max_retry_after``; the probe that gets an answer makes it healthy again. The warning is
logged once per change of state, and the state is a metric.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

import redis.asyncio as redis
import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from core.clock import Timer

log = structlog.get_logger("customer_graph.redis")

T = TypeVar("T")

# What a Redis that is down, unreachable or hanging raises; anything else is a bug of ours.
REDIS_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class RedisPolicy(BaseModel):
    """How long any Redis call may take, and how long a failed Redis is left alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connect_timeout: float = Field(
        default=0.25, gt=0, description="seconds to open a connection to Redis"
    )
    command_timeout: float = Field(
        default=0.25, gt=0, description="seconds one Redis command (or pipeline) may take"
    )
    retry_after: float = Field(
        default=1.0, gt=0, description="seconds before the first probe of a failed Redis"
    )
    max_retry_after: float = Field(
        default=30.0, gt=0, description="the longest pause between probes while it stays down"
    )


class RedisUnavailable(Exception):
    """Redis was not asked (it is backing off) or did not answer in time: use the fallback."""


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.up = Gauge(
            "customer_graph_redis_up",
            "1 while this Redis answers, 0 while its users fall back without it.",
            ["redis"],
            registry=registry,
        )
        self.changes = Counter(
            "customer_graph_redis_state_changes_total",
            "Times this Redis became unavailable (state=down) or answered again (state=up).",
            ["redis", "state"],
            registry=registry,
        )
        self.skipped = Counter(
            "customer_graph_redis_skipped_total",
            "Redis calls not made because this Redis was unavailable.",
            ["redis"],
            registry=registry,
        )


class RedisHealth:
    """One Redis URL: its shared client, whether it may be asked now, and its back-off."""

    def __init__(
        self, url: str, policy: RedisPolicy, timer: Timer, metrics: _Metrics | None
    ) -> None:
        self.url = url
        self.policy = policy
        # host:port/db, never the credentials a URL may carry.
        self.label = _label(url)
        self._timer = timer
        self._metrics = metrics
        # The client's own retries would multiply the deadline; the next request is the retry.
        # More calls at once than the pool has connections wait for one (within the call's
        # deadline) instead of failing: fifty concurrent queries over four sources must not
        # read as an outage that turns Redis off for every user.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            timeout=policy.command_timeout,
            socket_connect_timeout=policy.connect_timeout,
            socket_timeout=policy.command_timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self.client = redis.Redis.from_pool(pool)
        self._healthy = True
        self._backoff = policy.retry_after
        self._next_probe = float("-inf")
        self._probe: asyncio.Task[None] | None = None
        if metrics is not None:
            metrics.up.labels(self.label).set(1)

    @property
    def healthy(self) -> bool:
        return self._healthy

    def dedicated_client(self, read_timeout: float | None) -> redis.Redis:
        """A client of its own, which the caller closes, for reads that wait on purpose
        (a subscription, a blocking stream read): ``read_timeout`` None waits for ever."""
        return redis.Redis.from_url(
            self.url,
            socket_connect_timeout=self.policy.connect_timeout,
            socket_timeout=read_timeout,
            retry=Retry(NoBackoff(), 0),
        )

    def usable(self) -> bool:
        """Whether to ask Redis now; while it is unhealthy this may start a background probe,
        and is False until one gets an answer."""
        if self._healthy:
            return True
        if self._probe is None and self._timer.now() >= self._next_probe:
            self._probe = asyncio.create_task(self._run_probe())
        if self._metrics is not None:
            self._metrics.skipped.labels(self.label).inc()
        return False

    async def call(self, operation: str, run: Callable[[], Awaitable[T]]) -> T:
        """``run()`` within the command timeout; ``RedisUnavailable`` when Redis is backing
        off or this call fails (which starts the back-off for every user of this URL)."""
        if not self.usable():
            raise RedisUnavailable(self.label)
        try:
            async with asyncio.timeout(self.policy.command_timeout):
                return await run()
        except REDIS_FAILURES as exc:
            self.failed(operation, exc)
            raise RedisUnavailable(self.label) from exc

    def failed(self, operation: str, exc: BaseException) -> None:
        """Record a failed call made outside ``call`` (a subscriber's connection, say)."""
        if not self._healthy:
            return
        self._healthy = False
        self._backoff = self.policy.retry_after
        self._next_probe = self._timer.now() + self._backoff
        if self._metrics is not None:
            self._metrics.up.labels(self.label).set(0)
            self._metrics.changes.labels(self.label, "down").inc()
        log.warning(
            "redis unavailable; its users fall back without it until it answers again",
            redis=self.label,
            operation=operation,
            error=type(exc).__name__,
            retry_after=self._backoff,
        )

    async def _run_probe(self) -> None:
        try:
            async with asyncio.timeout(self.policy.connect_timeout + self.policy.command_timeout):
                await self.client.ping()
        except REDIS_FAILURES:
            self._backoff = min(self._backoff * 2, self.policy.max_retry_after)
            self._next_probe = self._timer.now() + self._backoff
        else:
            self._healthy = True
            if self._metrics is not None:
                self._metrics.up.labels(self.label).set(1)
                self._metrics.changes.labels(self.label, "up").inc()
            log.warning("redis available again", redis=self.label)
        finally:
            self._probe = None

    async def aclose(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
        await self.client.aclose()


class RedisHealthBoard:
    """The ``RedisHealth`` of each Redis URL the gateway uses, made on first use."""

    def __init__(
        self, policy: RedisPolicy, timer: Timer, registry: CollectorRegistry | None = None
    ) -> None:
        self.policy = policy
        self._timer = timer
        self._metrics = _Metrics(registry) if registry is not None else None
        self._by_url: dict[str, RedisHealth] = {}

    def health(self, url: str) -> RedisHealth:
        found = self._by_url.get(url)
        if found is None:
            found = self._by_url[url] = RedisHealth(url, self.policy, self._timer, self._metrics)
        return found

    async def aclose(self) -> None:
        for health in self._by_url.values():
            await health.aclose()
        self._by_url.clear()


def _label(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or ''}"
