"""The tier shared by replicas: Redis, used only while it answers quickly.

Every operation has the command timeout of the URL's ``RedisHealth``. A failure is counted,
and that Redis is then left alone by all of its users until a probe gets an answer
(core/redis_health.py), so an outage costs one timeout, not one per request: the gateway
goes on with its local tier and the upstreams.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from core import RedisHealth, RedisUnavailable
from datasources.metrics import SourceMetrics

T = TypeVar("T")

# Hash field -> value, for each key asked.
Hashes = dict[str, dict[str, bytes]]


class RedisTier:
    """Hashes of cached values with a lifetime, and their deletion."""

    def __init__(self, health: RedisHealth, metrics: SourceMetrics) -> None:
        self._health = health
        self._client = health.client
        self._metrics = metrics

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

    async def _attempt(self, operation: str, run: Callable[[], Awaitable[T]]) -> T | None:
        try:
            return await self._health.call(operation, run)
        except RedisUnavailable as exc:
            if exc.__cause__ is not None:
                self._metrics.redis_errors.labels(operation).inc()
            return None
