"""How the gateway caches upstream records: the per-process tier and the shared Redis tier."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CacheConfig(BaseModel):
    """Entity cache settings; the per-source lifetimes live on each ``SourceConfig``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="cache upstream records at all")
    l1_max_entries: int = Field(
        default=10_000, ge=1, description="customers kept per source in each process (LRU)"
    )
    coalesce: bool = Field(
        default=True, description="concurrent fetches of the same records share one call"
    )
    redis_url: str | None = Field(
        default=None, description="redis:// URL of the tier shared by replicas; off when unset"
    )
    # Its timeouts and back-off are those of every Redis use: the [redis] section.
    redis_prefix: str = Field(default="cg:", description="prefix of every key and channel")
