"""The upstream calls one client request made, or in a dry run would make: its query plan.

Only a request that asks for its plan carries a ``CallLog`` (on its ``RequestBudget``);
every other request pays one attribute test per upstream call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class LoggedCall:
    """One upstream call: where it went, for how many customers, with which sparse fields."""

    source: str
    method: str
    path: str
    batch_size: int | None
    fields: tuple[str, ...] | None


@dataclass(slots=True)
class CacheCounts:
    """A source's entity-cache lookups for the request: fresh hits, stale hits, misses."""

    hits: int = 0
    stale: int = 0
    misses: int = 0


@dataclass(slots=True)
class CallLog:
    """Filled in as the request runs. ``dry_run``: calls are logged instead of sent, each
    answered by ``UpstreamSkipped``, and nothing is cached or shared with other requests."""

    dry_run: bool = False
    calls: list[LoggedCall] = field(default_factory=list)
    cache: dict[str, CacheCounts] = field(default_factory=dict)
    # The operation's cost, measured before it ran, and its caller's limit.
    cost: int | None = None
    max_cost: int | None = None

    def call(
        self, source: str, method: str, path: str, batch_size: int | None, fields: str | None
    ) -> None:
        """Log one call; ``fields`` is the sparse field list as sent, comma-separated."""
        listed = tuple(fields.split(",")) if fields is not None else None
        self.calls.append(LoggedCall(source, method, path, batch_size, listed))

    def looked_up(self, source: str, hits: int, stale: int, misses: int) -> None:
        counts = self.cache.setdefault(source, CacheCounts())
        counts.hits += hits
        counts.stale += stale
        counts.misses += misses

    def as_json(self) -> dict[str, Any]:
        """The plan as ``extensions.queryPlan`` shows it (docs/contracts.md)."""
        sources: dict[str, dict[str, Any]] = {}
        for call in self.calls:
            entry = sources.setdefault(call.source, {"calls": 0, "batches": []})
            entry["calls"] += 1
            if call.batch_size is not None:
                entry["batches"].append(call.batch_size)
            if call.fields is not None:
                entry["sparseFields"] = list(call.fields)
        for source, counts in self.cache.items():
            entry = sources.setdefault(source, {"calls": 0, "batches": []})
            entry["cache"] = {"hits": counts.hits, "stale": counts.stale, "misses": counts.misses}
        return {
            "dryRun": self.dry_run,
            "sources": sources,
            "calls": [
                {
                    "source": c.source,
                    "method": c.method,
                    "path": c.path,
                    "batchSize": c.batch_size,
                    "sparseFields": list(c.fields) if c.fields is not None else None,
                }
                for c in self.calls
            ],
            "cost": {"value": self.cost, "limit": self.max_cost},
        }
