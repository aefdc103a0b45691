"""One cached value of one customer in one source, and which field sets it can serve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The model fields a record was fetched with; None means all of them.
FieldSet = frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Entry:
    """A record (or tuple of records, or None for an unknown customer) and when it was stored.

    A record fetched with a sparse field set holds only those fields, so it may serve a
    request for the same fields or fewer, never more.
    """

    value: Any
    stored_at: float
    fields: FieldSet

    def covers(self, wanted: FieldSet) -> bool:
        return covers(self.fields, wanted)


def covers(held: FieldSet, wanted: FieldSet) -> bool:
    """Whether what was fetched with ``held`` fields can serve a request for ``wanted``."""
    return held is None or (wanted is not None and wanted <= held)


def newest_covering(entries: Iterable[Entry], wanted: FieldSet) -> Entry | None:
    """The most recently stored entry that can serve ``wanted``."""
    best: Entry | None = None
    for entry in entries:
        if entry.covers(wanted) and (best is None or entry.stored_at > best.stored_at):
            best = entry
    return best


def field_set_id(fields: FieldSet) -> str:
    """A stable name for a field set: ``*`` for all fields, else the sorted names."""
    return "*" if fields is None else ",".join(sorted(fields))


def field_set_of(name: str) -> FieldSet:
    """The inverse of ``field_set_id``."""
    if name == "*":
        return None
    return frozenset(name.split(",")) if name else frozenset()
