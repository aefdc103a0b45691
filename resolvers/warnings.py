"""Warnings about a response that is served but not quite as asked, for ``extensions``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ResponseWarnings:
    """Collected while one request resolves; the schema puts them in the response."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []

    def stale_data(self, source: str, ages: Mapping[str, float]) -> None:
        """``source`` failed, so these customers' records are cached ones this many seconds old."""
        self._items.append(
            {
                "code": "STALE_DATA",
                "source": source,
                "customerIds": sorted(ages),
                "age": int(max(ages.values())),
            }
        )

    def as_list(self) -> list[dict[str, Any]]:
        return list(self._items)
