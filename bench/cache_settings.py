"""What this build's gateway cache settings let the benchmark do: turn it off, read its bound."""

from __future__ import annotations

from typing import Any

from gateway.settings import Settings


def cache_model() -> Any | None:
    """The ``[cache]`` settings model, or None in a build without a cache."""
    field = Settings.model_fields.get("cache")
    return field.annotation if field is not None else None


def disabled_cache_toml() -> str | None:
    """TOML that turns the cache off, or None when the build cannot (or has nothing to)."""
    model = cache_model()
    if model is None or "enabled" not in getattr(model, "model_fields", {}):
        return None
    return "[cache]\nenabled = false\n"


def configured_bounds(settings: Settings) -> dict[str, Any]:
    """The cache's size limits as configured (every setting named max_* or *_size)."""
    cache = getattr(settings, "cache", None)
    if cache is None:
        return {}
    values = cache.model_dump() if hasattr(cache, "model_dump") else vars(cache)
    return {k: v for k, v in values.items() if k.startswith("max") or k.endswith("size")}
