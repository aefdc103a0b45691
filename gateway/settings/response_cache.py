"""The ``[response_cache]`` section: whole answers of hot queries, reused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ResponseCacheSettings(BaseModel):
    """Which queries' whole answers are kept, how many, and for how long at most."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, description="keep whole answers of queries")
    operations: list[str] | None = Field(
        default=None,
        description="only the queries of these operation names; unset: every query",
    )
    max_entries: int = Field(default=10_000, ge=1, description="answers kept in each process")
    max_ttl: float = Field(
        default=60.0,
        gt=0,
        description="seconds an answer lives at most; its sources' freshness can shorten it",
    )
