"""The replica bus: the Redis stream that carries invalidations and customer changes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BusConfig(BaseModel):
    """How much history the replica bus keeps, and how long one read waits for news.

    The stream is ``{cache.redis_prefix}bus`` on ``cache.redis_url``; without a Redis URL the
    bus is this process alone.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    retention: int = Field(
        default=10_000,
        ge=100,
        description="messages the stream keeps at least (trimmed approximately past it): a "
        "replica away longer than that many messages drops its local cache",
    )
    block_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="seconds one read waits for new messages; a Redis silent for longer "
        "(plus the command timeout) counts as lost",
    )
    batch: int = Field(default=500, ge=1, description="messages read at most per round trip")
