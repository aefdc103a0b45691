"""The tier shared by replicas: Redis, used only while it answers quickly.

Every operation has the command timeout of the URL's ``RedisHealth``. A failure is counted,
and that Redis is then left alone by all of its users until a probe gets an answer
(core/redis_health.py), so an outage costs one timeout, not one per request: the gateway
goes on with its local tier and the upstreams.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from core import REDIS_FAILURES, RedisHealth, RedisUnavailable
from datasources.metrics import SourceMetrics

T = TypeVar("T")

# Hash field -> value, for each key asked.
Hashes = dict[str, dict[str, bytes]]


class RedisTier:
    """Hashes of cached values with a lifetime, deletion, and a channel for invalidations."""

    def __init__(self, health: RedisHealth, metrics: SourceMetrics) -> None:
        self._health = health
        self._client = health.client
        # Subscriptions wait for messages indefinitely: no read deadline on their connection.
        self._subscriber = health.dedicated_client(read_timeout=None)
        self._metrics = metrics
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
            async with asyncio.timeout(self._first_attempt_timeout()):
                await attempted.wait()

    def _first_attempt_timeout(self) -> float:
        policy = self._health.policy
        return policy.connect_timeout + 2 * policy.command_timeout

    async def aclose(self) -> None:
        """Leave the channel; the shared client is closed with its ``RedisHealth``."""
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await self._subscriber.aclose()

    async def _listen(
        self,
        channel: str,
        on_message: Callable[[bytes], None],
        on_subscribed: Callable[[], None],
        attempted: asyncio.Event,
    ) -> None:
        health = self._health
        while True:
            if health.usable():
                try:
                    async with self._subscriber.pubsub() as pubsub:
                        # A Redis that accepts and never answers must not hold this forever.
                        async with asyncio.timeout(self._first_attempt_timeout()):
                            await pubsub.subscribe(channel)
                            confirmed = await pubsub.get_message(
                                timeout=health.policy.command_timeout
                            )
                        if confirmed is None:
                            raise TimeoutError("the subscription was not confirmed")
                        on_subscribed()
                        attempted.set()
                        async for message in pubsub.listen():
                            if message.get("type") == "message":
                                on_message(message["data"])
                except REDIS_FAILURES as exc:
                    self._metrics.redis_errors.labels("subscribe").inc()
                    health.failed("subscribe", exc)
            attempted.set()
            # A real pause, not the injected timer: it paces reconnection attempts.
            await asyncio.sleep(health.policy.retry_after)

    async def _attempt(self, operation: str, run: Callable[[], Awaitable[T]]) -> T | None:
        try:
            return await self._health.call(operation, run)
        except RedisUnavailable as exc:
            if exc.__cause__ is not None:
                self._metrics.redis_errors.labels(operation).inc()
            return None
