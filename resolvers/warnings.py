"""Warnings about a response that is served but not quite as asked, for ``extensions``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import GatewayError


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

    def existence_unconfirmed(self, source: str, errors: Mapping[str, GatewayError]) -> None:
        """The primary ``source`` failed for these customers (with these errors), so their
        existence is unconfirmed; what other sources said about them is served all the same."""
        ids = set(errors)
        reasons = {e.code for e in errors.values()}
        for item in self._items:
            # One warning per source, however many root fields ran into the failure.
            if item["code"] == "EXISTENCE_UNCONFIRMED" and item["source"] == source:
                ids.update(item["customerIds"])
                reasons.update(item["reasons"])
                self._items.remove(item)
                break
        self._items.append(
            {
                "code": "EXISTENCE_UNCONFIRMED",
                "source": source,
                "customerIds": sorted(ids),
                "reasons": sorted(reasons),
            }
        )

    def as_list(self) -> list[dict[str, Any]]:
        return list(self._items)
