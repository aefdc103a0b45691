"""``[freshness]``: when answers say how fresh each source's data is (docs/caching.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FreshnessSettings(BaseModel):
    """``extensions.freshness`` in every answer, or only when a request asks with ``header``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by_default: bool | None = Field(
        default=None,
        description="show it in every answer; unset: in development mode only",
    )
    header: str = Field(
        default="X-Freshness",
        min_length=1,
        description="request header that asks for it (1) or not (0), whatever the default",
    )

    def shown(self, development: bool, asked: str | None) -> bool:
        """Whether one request's answer carries it, given the header's value if sent."""
        if asked is not None and asked.strip() in ("0", "1"):
            return asked.strip() == "1"
        return development if self.by_default is None else self.by_default
