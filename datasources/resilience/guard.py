"""Every upstream call of one source under its breaker, outbound limits, timeouts and retries."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from core import (
    CircuitOpen,
    GatewayError,
    OutboundLimitReached,
    Timer,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from datasources.config import SourceConfig
from datasources.metrics import SourceMetrics
from datasources.resilience.breaker import STATES, CircuitBreaker, State
from datasources.resilience.budget import RequestBudget
from datasources.resilience.quota import RateLimiter

log = structlog.get_logger("customer_graph.datasources")

T = TypeVar("T")

# Worth another try: the upstream may answer next time. Anything else would fail again.
_RETRYABLE = (UpstreamUnavailable, UpstreamTimeout, UpstreamRateLimited)


class CallGuard:
    """Runs a source's calls; the client only says what one attempt is.

    Each attempt passes the breaker (failing fast while it is open), then waits its turn
    under the source's quota and concurrency limit, then runs within the source's
    ``total`` timeout or the request's remaining time, whichever is shorter. A failed
    attempt is retried after an exponential backoff with full jitter, or after the
    upstream's Retry-After, while the call's attempts and the request's budget last.
    """

    def __init__(
        self,
        source: str,
        config: SourceConfig,
        metrics: SourceMetrics,
        timer: Timer,
        uniform: Callable[[], float] = random.random,
    ) -> None:
        self._source = source
        self._retries = config.retries
        self._total = config.timeouts.total
        self._metrics = metrics
        self._timer = timer
        self._uniform = uniform
        self.breaker = CircuitBreaker(source, config.breaker, timer, self._circuit_changed)
        self._publish_state("closed")
        self._slots = asyncio.Semaphore(config.max_concurrency)
        self._quota = RateLimiter(config.rate_limit, timer) if config.rate_limit else None

    async def call(
        self, attempt: Callable[[], Awaitable[T]], budget: RequestBudget, *, retry: bool
    ) -> T:
        """The first successful attempt's result; otherwise the last attempt's error."""
        retried = 0
        while True:
            try:
                return await self._attempt(attempt, budget)
            except OutboundLimitReached:
                # Retrying would only queue again, with less time left.
                raise
            except _RETRYABLE as exc:
                if not retry or retried + 1 >= self._retries.attempts:
                    raise
                wait = self._backoff(exc, retried + 1)
                if wait is None or not budget.take_retry(wait):
                    raise
                retried += 1
                self._metrics.retries.labels(self._source, exc.code).inc()
                await self._timer.sleep(wait)

    def _backoff(self, exc: UpstreamError, retry: int) -> float | None:
        """Seconds before retry number ``retry``; None if the upstream wants more than we wait."""
        if exc.retry_after is not None:
            return exc.retry_after if exc.retry_after <= self._retries.retry_after_max else None
        cap = min(self._retries.backoff_max, self._retries.backoff_initial * 2.0 ** (retry - 1))
        return self._uniform() * cap

    async def _attempt(self, attempt: Callable[[], Awaitable[T]], budget: RequestBudget) -> T:
        if budget.remaining() == 0:
            raise UpstreamTimeout(
                "the request's deadline passed before the call", source=self._source
            )
        try:
            probe = self.breaker.admit()
        except CircuitOpen:
            self._metrics.rejected.labels(self._source, CircuitOpen.code).inc()
            raise
        failed: bool | None = None
        try:
            await self._queue(budget)
            try:
                result = await self._timed(attempt, budget)
            finally:
                self._slots.release()
            failed = False
            return result
        except (UpstreamUnavailable, UpstreamTimeout):
            failed = True
            raise
        except UpstreamRateLimited:
            # Neither healthy nor broken: the upstream (or our quota) asks us to slow down.
            raise
        except GatewayError:
            # It answered, if not as we hoped: the upstream is up.
            failed = False
            raise
        finally:
            self.breaker.record(probe, failed)

    async def _queue(self, budget: RequestBudget) -> None:
        try:
            async with asyncio.timeout(budget.remaining()):
                if self._quota is not None and not await self._quota.acquire(budget.deadline):
                    raise TimeoutError
                await self._slots.acquire()
        except TimeoutError:
            self._metrics.rejected.labels(self._source, OutboundLimitReached.code).inc()
            raise OutboundLimitReached(
                "this source's outbound limits leave no turn before the request's deadline",
                source=self._source,
            ) from None

    async def _timed(self, attempt: Callable[[], Awaitable[T]], budget: RequestBudget) -> T:
        remaining = budget.remaining()
        by_deadline = remaining is not None and remaining < self._total
        try:
            async with asyncio.timeout(remaining if by_deadline else self._total):
                return await attempt()
        except TimeoutError:
            reason = "by the request's deadline" if by_deadline else f"within {self._total:g} s"
            raise UpstreamTimeout(
                f"upstream did not answer completely {reason}", source=self._source
            ) from None

    def _circuit_changed(self, state: State) -> None:
        self._publish_state(state)
        if state == "open":
            log.warning("circuit opened", source=self._source)
        else:
            log.info("circuit state changed", source=self._source, state=state)

    def _publish_state(self, state: State) -> None:
        for name in STATES:
            self._metrics.circuit.labels(self._source, name).set(1 if name == state else 0)
