"""What one operation may write upstream: a cap on the writes it causes, each of which also
counts against the caller's rate, so that one request of a thousand list items costs what a
thousand requests would."""

from __future__ import annotations

from auth.config import LimitsSettings
from auth.identity import Identity
from auth.rate_limits import IdentityRateLimiter
from core import QueryLimitExceeded


class WriteAllowance:
    """The upstream writes left to one operation; ``spend`` before each field's writes."""

    def __init__(
        self, identity: Identity, max_writes: int, rate_limiter: IdentityRateLimiter | None
    ) -> None:
        self._identity = identity
        self._max = max_writes
        self._rate_limiter = rate_limiter
        self._spent = 0

    async def spend(self, writes: int) -> None:
        """Take ``writes`` from the allowance; ``QueryLimitExceeded`` (or ``RateLimited``)
        with nothing taken when they do not fit."""
        if self._spent + writes > self._max:
            raise QueryLimitExceeded(
                f"the operation would cause {self._spent + writes} upstream writes; at most "
                f"{self._max} are allowed for {self._identity.client_class} clients",
                limit="writes",
                maximum=self._max,
                actual=self._spent + writes,
            )
        if self._rate_limiter is not None:
            await self._rate_limiter.hit(self._identity, cost=writes)
        self._spent += writes


class WriteLimits:
    """Makes each operation's ``WriteAllowance`` from the caller's query limits."""

    def __init__(self, limits: LimitsSettings, rate_limiter: IdentityRateLimiter | None) -> None:
        self._limits = limits
        self._rate_limiter = rate_limiter

    def allowance(self, identity: Identity) -> WriteAllowance:
        max_writes = self._limits.query_limits(identity.client_class).max_writes
        return WriteAllowance(identity, max_writes, self._rate_limiter)
