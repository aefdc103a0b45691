"""Time, injectable for tests: a wall clock for ages and expiry, a monotonic timer for waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

# Seconds since the epoch: what cache entries, tokens and signatures are aged against.
Clock = Callable[[], float]


class Timer(Protocol):
    """Seconds on a monotonic scale, and a wait measured on the same scale."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemTimer:
    """The event loop's idea of time: ``time.monotonic`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
