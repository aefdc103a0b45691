"""The per-process tier: one bounded TTL + LRU map per source, customer id -> entries."""

from __future__ import annotations

from collections.abc import Iterable

from cachetools import TTLCache

from core import Clock
from datasources.cache.entry import Entry, FieldSet, newest_covering


class LocalTier:
    """At most ``max_entries`` customers, each with the field-set variants fetched for it.

    Entries are kept for ``retention`` seconds (freshness plus stale windows); whether one
    is fresh is decided by its caller from ``stored_at``.
    """

    def __init__(self, max_entries: int, retention: float, clock: Clock) -> None:
        self._entries: TTLCache[str, tuple[Entry, ...]] = TTLCache(
            maxsize=max_entries, ttl=retention, timer=clock
        )

    def get(self, customer_id: str, wanted: FieldSet) -> Entry | None:
        return newest_covering(self._entries.get(customer_id, ()), wanted)

    def put(self, customer_id: str, entry: Entry) -> None:
        held = self._entries.get(customer_id, ())
        if any(e.covers(entry.fields) and e.stored_at >= entry.stored_at for e in held):
            return
        # Older variants the new entry covers can never be chosen again: drop them.
        kept = tuple(
            e for e in held if not (entry.covers(e.fields) and e.stored_at <= entry.stored_at)
        )
        self._entries[customer_id] = (*kept, entry)

    def drop(self, customer_ids: Iterable[str]) -> int:
        """Forget these customers; returns how many were held."""
        return sum(self._entries.pop(cid, None) is not None for cid in customer_ids)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        self._entries.expire()
        return len(self._entries)
