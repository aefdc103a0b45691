"""How the gateway protects itself and a source from each other: retries, breaker, quota.

Part of a source's declarative config (``[sources.NAME.retries]``, ``.breaker``,
``.rate_limit``); docs/resilience.md describes every setting and its default.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retries(_Policy):
    """How a failed idempotent call is retried: connection errors, timeouts, 5xx and 429."""

    attempts: int = Field(default=3, ge=1, le=10, description="calls in all, the first included")
    backoff_initial: float = Field(
        default=0.1, gt=0, description="seconds; the cap of the first retry's random wait"
    )
    backoff_max: float = Field(default=2.0, gt=0, description="seconds; the cap never grows past")
    retry_after_max: float = Field(
        default=5.0,
        ge=0,
        description="longest Retry-After honoured; an upstream asking for more is not retried",
    )

    @model_validator(mode="after")
    def _initial_below_max(self) -> Retries:
        if self.backoff_initial > self.backoff_max:
            raise ValueError("backoff_initial must not exceed backoff_max")
        return self


class Breaker(_Policy):
    """When a source's circuit opens, and how it recovers."""

    window: float = Field(default=30.0, gt=0, description="seconds of outcomes considered")
    failure_count: int | None = Field(
        default=None, ge=1, description="open after this many failures in the window"
    )
    failure_rate: float | None = Field(
        default=0.5, gt=0, le=1, description="open when this share of calls in the window failed"
    )
    min_calls: int = Field(
        default=20, ge=1, description="calls in the window before failure_rate is judged"
    )
    cooldown: float = Field(default=15.0, gt=0, description="seconds open before a probe")
    probes: int = Field(default=1, ge=1, description="calls let through at once when half-open")


class RateLimit(_Policy):
    """The vendor's request quota; calls beyond it wait their turn instead of failing."""

    per_second: float = Field(gt=0, description="sustained calls per second")
    burst: int = Field(default=1, ge=1, description="calls that may start back to back")
