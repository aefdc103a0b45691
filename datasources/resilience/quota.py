"""Outbound request quota per source: a token bucket whose callers wait in arrival order."""

from __future__ import annotations

import asyncio

from core import Timer
from datasources.config import RateLimit


class RateLimiter:
    """At most ``per_second`` calls per second on average, ``burst`` back to back.

    Callers over the quota queue instead of failing. ``asyncio.Lock`` hands itself to
    waiters first come, first served, so the queue is fair; a caller that gives up (its
    request's deadline passed) leaves the queue without using a token, and one whose turn
    would come only after its deadline is told at once rather than holding up the line.
    """

    def __init__(self, policy: RateLimit, timer: Timer) -> None:
        self._rate = policy.per_second
        self._burst = float(policy.burst)
        self._timer = timer
        self._tokens = self._burst
        self._updated = timer.now()
        self._lock = asyncio.Lock()

    async def acquire(self, deadline: float | None = None) -> bool:
        """Wait for this caller's turn and take a token; False if that would pass ``deadline``."""
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                wait = (1 - self._tokens) / self._rate
                if deadline is not None and self._timer.now() + wait > deadline:
                    return False
                await self._timer.sleep(wait)
                self._refill()
            self._tokens -= 1
            return True

    def _refill(self) -> None:
        now = self._timer.now()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
