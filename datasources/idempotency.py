"""Idempotency keys bound to the request they first came with.

A client's key names one request. The first write with a key binds it to that request's
fingerprint for the key's lifetime; a later write with the same key is let through only if
it is the same request (a retry), so no different change is ever applied under a key the
client already spent. Bindings live in Redis when one is configured, shared by replicas;
while it cannot be asked, and without one, in this process (bounded, oldest first out).
"""

from __future__ import annotations

from cachetools import TTLCache

from core import IdempotencyKeyReused, RedisHealth, RedisUnavailable, Timer


class KeyBindings:
    """Which request each client key was first used with, for ``ttl`` seconds."""

    def __init__(
        self,
        ttl: float,
        max_entries: int,
        timer: Timer,
        redis: RedisHealth | None = None,
        prefix: str = "",
    ) -> None:
        self._local: TTLCache[str, str] = TTLCache(maxsize=max_entries, ttl=ttl, timer=timer.now)
        self._redis = redis
        self._prefix = prefix
        self._seconds = max(1, round(ttl))

    async def bind(self, key: str, fingerprint: str) -> None:
        """Bind ``key`` to ``fingerprint``, or raise ``IdempotencyKeyReused`` when it is
        bound to another request."""
        bound = await self._shared(key, fingerprint) if self._redis is not None else None
        if bound is None:
            bound = self._local.setdefault(key, fingerprint)
        if bound != fingerprint:
            raise IdempotencyKeyReused(
                "this idempotency key was already used with a different request; "
                "send a new key for a new change"
            )

    async def _shared(self, key: str, fingerprint: str) -> str | None:
        # SET NX GET binds and reads in one round trip; None when Redis cannot be asked.
        assert self._redis is not None
        client, name = self._redis.client, self._prefix + key
        try:
            found = await self._redis.call(
                "idempotency bind",
                lambda: client.set(name, fingerprint, nx=True, ex=self._seconds, get=True),
            )
        except RedisUnavailable:
            return None
        if found is None:
            return fingerprint
        return found.decode() if isinstance(found, bytes) else str(found)
