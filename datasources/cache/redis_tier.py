"""The tier shared by replicas: Redis, used only while it answers quickly.

Every operation has a short deadline. A failure is logged and counted, and Redis is then left
alone for ``redis_retry_after`` seconds, so an outage costs one timeout, not one per request:
the gateway goes on with its local tier and the upstreams.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import redis.asyncio as redis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from core import Clock
from datasources.config import CacheConfig
from datasources.metrics import SourceMetrics

log = structlog.get_logger("customer_graph.cache")

T = TypeVar("T")

# Hash field -> value, for each key asked.
Hashes = dict[str, dict[str, bytes]]


class RedisTier:
    """Hashes of cached values with a lifetime, deletion, and a channel for invalidations."""

    def __init__(self, config: CacheConfig, metrics: SourceMetrics, clock: Clock) -> None:
        url = config.redis_url or ""
        timeout = config.redis_timeout
        # Retries would multiply the deadline; the next request is the retry.
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        # Subscriptions wait for messages indefinitely: no read deadline on their connection.
        self._subscriber = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        self._config = config
        self._metrics = metrics
        self._clock = clock
        self._skip_until = float("-inf")
        self._listener: asyncio.Task[None] | None = None

    async def get_many(self, keys: Sequence[str]) -> Hashes | None:
        """Every field of each key that exists; None when Redis is unavailable."""

        async def run() -> Hashes:
            async with self._client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hgetall(key)
                found: list[dict[bytes, bytes]] = await pipe.execute()
            return {
                key: {name.decode(): value for name, value in fields.items()}
                for key, fields in zip(keys, found, strict=True)
                if fields
            }

        return await self._attempt("get", run)

    async def put_many(self, values: Mapping[str, tuple[str, bytes]], lifetime: float) -> None:
        """Set one field of each key, and let each key live ``lifetime`` more seconds."""
        seconds = max(1, int(lifetime + 0.999))

        async def run() -> None:
            async with self._client.pipeline(transaction=False) as pipe:
                for key, (field, value) in values.items():
                    pipe.hset(key, field, value)
                    pipe.expire(key, seconds)
                await pipe.execute()

        await self._attempt("put", run)

    async def delete(self, keys: Sequence[str]) -> None:
        async def run() -> None:
            await self._client.delete(*keys)

        await self._attempt("delete", run)

    async def publish(self, channel: str, message: bytes) -> None:
        async def run() -> None:
            await self._client.publish(channel, message)

        await self._attempt("publish", run)

    async def subscribe(
        self,
        channel: str,
        on_message: Callable[[bytes], None],
        on_subscribed: Callable[[], None],
    ) -> None:
        """Deliver the channel's messages from now on; ``on_subscribed`` runs after every
        (re)subscription, since messages sent while disconnected are lost."""
        attempted = asyncio.Event()
        self._listener = asyncio.create_task(
            self._listen(channel, on_message, on_subscribed, attempted)
        )
        # Start-up waits for the first attempt only: without Redis the gateway still runs.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._config.redis_timeout * 4):
                await attempted.wait()

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await self._client.aclose()
        await self._subscriber.aclose()

    async def _listen(
        self,
        channel: str,
        on_message: Callable[[bytes], None],
        on_subscribed: Callable[[], None],
        attempted: asyncio.Event,
    ) -> None:
        while True:
            try:
                async with self._subscriber.pubsub() as pubsub:
                    await pubsub.subscribe(channel)
                    on_subscribed()
                    attempted.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            on_message(message["data"])
            except (RedisError, OSError) as exc:
                self._failed("subscribe", exc)
                attempted.set()
            # A real pause, not the injected clock: it paces reconnection attempts.
            await asyncio.sleep(max(self._config.redis_retry_after, 0.1))

    async def _attempt(self, operation: str, run: Callable[[], Awaitable[T]]) -> T | None:
        if self._clock() < self._skip_until:
            return None
        try:
            async with asyncio.timeout(self._config.redis_timeout):
                return await run()
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(operation, exc)
            self._skip_until = self._clock() + self._config.redis_retry_after
            return None

    def _failed(self, operation: str, exc: BaseException) -> None:
        self._metrics.redis_errors.labels(operation).inc()
        log.warning(
            "redis unavailable, going on without it",
            operation=operation,
            error=type(exc).__name__,
            detail=str(exc)[:200],
        )
