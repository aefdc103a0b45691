"""How fresh each source's data in one response is: for ``extensions.freshness`` and the
``Age`` header of a cacheable answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from datasources import Fetched

# How a source's records were served, best first; a response reports each source's worst.
SERVED = ("fresh", "cached", "stale-while-revalidate", "stale-if-error")


@dataclass(slots=True)
class _Seen:
    fetched_at: float
    age: float
    served: int


class ResponseFreshness:
    """Per source: when the oldest record served was fetched, its age, and how it was served
    (fresh from the upstream, cached, stale while being refreshed, stale because the
    upstream failed)."""

    def __init__(self) -> None:
        self._sources: dict[str, _Seen] = {}

    def record(self, source: str, fetched: Fetched) -> None:
        """Take in what one batch of ``source`` served."""
        if not fetched.fetched_at:
            return
        oldest = min(fetched.fetched_at.values())
        if fetched.stale:
            served = 3
        elif fetched.revalidating:
            served = 2
        else:
            served = 1 if fetched.cached else 0
        seen = _Seen(oldest, max(0.0, fetched.as_of - oldest), served)
        known = self._sources.get(source)
        if known is not None:
            seen = _Seen(
                min(known.fetched_at, seen.fetched_at),
                max(known.age, seen.age),
                max(known.served, seen.served),
            )
        self._sources[source] = seen

    def age(self) -> float | None:
        """Seconds since the oldest data in the response was fetched; None if none was."""
        return max((seen.age for seen in self._sources.values()), default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            source: {
                "fetchedAt": _iso(seen.fetched_at),
                "ageSeconds": round(seen.age, 3),
                "served": SERVED[seen.served],
            }
            for source, seen in sorted(self._sources.items())
        }


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
