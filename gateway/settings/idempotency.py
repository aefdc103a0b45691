"""The ``[idempotency]`` section: how long a client's key stays bound to its first request."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IdempotencySettings(BaseModel):
    """Keys are bound in Redis when ``cache.redis_url`` is set, else in each process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ttl: float = Field(
        default=86_400, gt=0, description="seconds a key stays bound to the request it came with"
    )
    max_entries: int = Field(
        default=100_000,
        ge=1,
        description="keys each process remembers without Redis (about 200 bytes each)",
    )
