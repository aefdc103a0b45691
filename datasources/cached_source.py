"""One source as the resolvers see it: the cache first, one upstream batch for the rest.

For each customer the newest cached entry that can serve the wanted fields decides:
younger than ``ttl``, it is served; within ``stale_while_revalidate`` past it, it is served
and refreshed in the background; otherwise the customer is fetched, and if that fails
within ``stale_if_error`` past the ttl, the entry is served anyway and reported as stale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from datasources.cache import EntityCache
from datasources.cache_entry import Entry, FieldSet
from datasources.client import Records, SourceClient
from datasources.coalesce import Flight, Flights
from datasources.errors import GatewayError
from datasources.metrics import SourceMetrics


@dataclass(slots=True)
class Fetched:
    """The outcome of ``CachedSource.fetch_many``, per customer."""

    records: Records = field(default_factory=dict)
    errors: dict[str, GatewayError] = field(default_factory=dict)
    # Customers served a stale record because the upstream failed: its age in seconds.
    stale: dict[str, float] = field(default_factory=dict)


class CachedSource:
    """Records of one source by customer id, cached, coalesced, and stale when allowed."""

    def __init__(
        self,
        client: SourceClient,
        cache: EntityCache,
        metrics: SourceMetrics,
        clock: Callable[[], float],
        *,
        coalesce: bool = True,
    ) -> None:
        self.name = client.name
        self.client = client
        self._config = client.config
        self._cache = cache
        self._metrics = metrics
        self._clock = clock
        self._flights = Flights(share=coalesce)
        # A source that ignores sparse field sets answers every field anyway: caching the
        # full record lets it serve every later request.
        self._whole_records = client.config.sparse_fields is None and cache.holds(client.name)

    async def fetch_many(
        self,
        customer_ids: Sequence[str],
        fields: frozenset[str] | None = None,
        *,
        caller_token: str | None = None,
    ) -> Fetched:
        """Each customer's record (None or absent when unknown), or the error that prevented it.

        ``caller_token`` is the GraphQL caller's bearer token, for a source that forwards it.
        """
        ids = list(dict.fromkeys(customer_ids))
        if self._config.forward_caller_token:
            return await self._fetch_for_caller(ids, fields, caller_token)
        wanted: FieldSet = None if self._whole_records else fields
        entries = await self._cache.lookup(self.name, ids, wanted)
        now = self._clock()
        ttl = self._config.ttl
        out = Fetched()
        refresh: list[str] = []
        missing: list[str] = []
        fallback: dict[str, Entry] = {}
        for cid in ids:
            entry = entries.get(cid)
            if entry is None:
                missing.append(cid)
                continue
            age = now - entry.stored_at
            if age < ttl:
                out.records[cid] = entry.value
            elif age < ttl + self._config.stale_while_revalidate:
                out.records[cid] = entry.value
                refresh.append(cid)
            else:
                missing.append(cid)
                if age < ttl + self._config.stale_if_error:
                    fallback[cid] = entry
        self._count(len(ids) - len(refresh) - len(missing), len(refresh), len(missing))
        if refresh:
            self._metrics.stale_served.labels(self.name, "revalidate").inc(len(refresh))
            self._revalidate(refresh, wanted)
        if missing:
            for cid, outcome in (await self._fetch(missing, wanted)).items():
                if not isinstance(outcome, GatewayError):
                    out.records[cid] = outcome
                elif cid in fallback:
                    out.records[cid] = fallback[cid].value
                    out.stale[cid] = now - fallback[cid].stored_at
                else:
                    out.errors[cid] = outcome
            if out.stale:
                self._metrics.stale_served.labels(self.name, "error").inc(len(out.stale))
        return out

    async def _fetch_for_caller(
        self, ids: list[str], fields: frozenset[str] | None, caller_token: str | None
    ) -> Fetched:
        # What the upstream answers depends on who asks: never cached, never shared.
        try:
            records = await self.client.fetch_many(ids, fields, caller_token=caller_token)
        except GatewayError as exc:
            return Fetched(errors=dict.fromkeys(ids, exc))
        return Fetched(records=records)

    async def invalidate(self, customer_ids: Sequence[str]) -> None:
        self._flights.forget(customer_ids)
        await self._cache.invalidate(self.name, customer_ids)

    async def aclose(self) -> None:
        await self._flights.aclose()

    def _count(self, hits: int, stale: int, misses: int) -> None:
        lookups = self._metrics.cache_lookups
        for result, n in (("hit", hits), ("stale", stale), ("miss", misses)):
            if n:
                lookups.labels(self.name, result).inc(n)

    async def _fetch(self, ids: list[str], wanted: FieldSet) -> dict[str, Any]:
        """Each customer's value or error, joining flights that already fetch it."""
        joined: dict[str, Flight] = {}
        new: list[str] = []
        for cid in ids:
            flight = self._flights.find(cid, wanted)
            if flight is not None:
                joined[cid] = flight
            else:
                new.append(cid)
        if joined:
            self._metrics.coalesced.labels(self.name).inc(len(joined))
        if new:
            flight = self._flights.start(new, wanted, self._fly)
            joined.update(dict.fromkeys(new, flight))
        flights = list(dict.fromkeys(joined.values()))
        outcomes = await asyncio.gather(
            *(asyncio.shield(f.task) for f in flights if f.task is not None),
            return_exceptions=True,
        )
        by_flight = dict(zip(flights, outcomes, strict=True))
        result: dict[str, Any] = {}
        for cid, flight in joined.items():
            outcome = by_flight[flight]
            if isinstance(outcome, GatewayError):
                result[cid] = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                result[cid] = outcome.get(cid)
        return result

    def _revalidate(self, ids: list[str], wanted: FieldSet) -> None:
        stale = [cid for cid in ids if self._flights.find(cid, wanted) is None]
        if stale:
            self._flights.start(stale, wanted, self._fly)

    async def _fly(self, flight: Flight) -> Records:
        started = self._clock()
        records = await self.client.fetch_many(flight.ids, flight.fields)
        keep = {cid: records.get(cid) for cid in flight.ids if cid not in flight.invalidated}
        await self._cache.store(self.name, keep, flight.fields, started)
        return records
