"""One source as the resolvers see it: the cache first, one upstream batch for the rest.

For each customer the newest cached entry that can serve the wanted fields decides:
younger than ``ttl``, it is served; within ``stale_while_revalidate`` past it, it is served
and refreshed in the background; otherwise the customer is fetched, and if that fails
within ``stale_if_error`` past the ttl, the entry is served anyway and reported as stale.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core import Clock, GatewayError, UpstreamTimeout
from datasources.cache.coalesce import Flight, Flights
from datasources.cache.entity import EntityCache
from datasources.cache.entry import Entry, FieldSet
from datasources.config import SourceConfig
from datasources.http import Records
from datasources.metrics import SourceMetrics
from datasources.resilience import RequestBudget


@dataclass(slots=True)
class Fetched:
    """The outcome of ``CachedSource.fetch_many``, per customer."""

    records: Records = field(default_factory=dict)
    errors: dict[str, GatewayError] = field(default_factory=dict)
    # Customers served a stale record because the upstream failed: its age in seconds.
    stale: dict[str, float] = field(default_factory=dict)
    # When each record served was fetched from the upstream, as of ``as_of`` (the clock's
    # seconds); which came from the cache, and which of those are being refreshed meanwhile.
    fetched_at: dict[str, float] = field(default_factory=dict)
    cached: set[str] = field(default_factory=set)
    revalidating: set[str] = field(default_factory=set)
    as_of: float = 0.0
    # When the first of these records stops being fresh (clock seconds): how long an answer
    # built from them may be reused. In the past for stale records and for records fetched
    # with the caller's own token, which no one else may be shown.
    fresh_until: float = math.inf

    @classmethod
    def of(cls, outcomes: Mapping[str, Any]) -> Fetched:
        """Each customer's record, or its error, sorted into records and errors."""
        out = cls()
        for cid, outcome in outcomes.items():
            if isinstance(outcome, GatewayError):
                out.errors[cid] = outcome
            else:
                out.records[cid] = outcome
        return out


class RecordClient(Protocol):
    """What a cached source needs of its upstream client, REST or GraphQL."""

    name: str
    config: SourceConfig

    @property
    def circuit(self) -> str:
        """The state of the source's circuit breaker."""
        ...

    async def fetch_many(
        self,
        customer_ids: Sequence[str],
        fields: frozenset[str] | None = None,
        *,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
    ) -> Records: ...


class CachedSource:
    """Records of one source by customer id, cached, coalesced, and stale when allowed."""

    def __init__(
        self,
        client: RecordClient,
        cache: EntityCache,
        metrics: SourceMetrics,
        clock: Clock,
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
        self._whole_records = not client.config.answers_only_fields_asked and cache.holds(
            client.name
        )

    async def fetch_many(
        self,
        customer_ids: Sequence[str],
        fields: frozenset[str] | None = None,
        *,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
    ) -> Fetched:
        """Each customer's record (None or absent when unknown), or the error that prevented it.

        ``caller_token`` is the GraphQL caller's bearer token, for a source that forwards it.
        ``budget`` bounds the upstream calls this request starts and its wait for shared ones.
        """
        ids = list(dict.fromkeys(customer_ids))
        if self._config.forward_caller_token:
            return await self._fetch_for_caller(ids, fields, caller_token, budget)
        wanted: FieldSet = None if self._whole_records else fields
        entries = await self._cache.lookup(self.name, ids, wanted)
        now = self._clock()
        ttl = self._config.ttl
        out = Fetched(as_of=now)
        refresh: list[str] = []
        missing: list[str] = []
        fallback: dict[str, Entry] = {}
        fresh_until = math.inf
        for cid in ids:
            entry = entries.get(cid)
            if entry is None:
                missing.append(cid)
                continue
            age = now - entry.stored_at
            if age < ttl + self._config.stale_while_revalidate:
                # Past the ttl, it is served while being refreshed: already no longer fresh.
                out.records[cid] = entry.value
                fresh_until = min(fresh_until, entry.stored_at + ttl)
                out.fetched_at[cid] = entry.stored_at
                out.cached.add(cid)
                if age >= ttl:
                    refresh.append(cid)
            else:
                missing.append(cid)
                if age < ttl + self._config.stale_if_error:
                    fallback[cid] = entry
        self._count(len(ids) - len(refresh) - len(missing), len(refresh), len(missing))
        plan = budget.plan if budget is not None else None
        if plan is not None:
            plan.looked_up(
                self.name, len(ids) - len(refresh) - len(missing), len(refresh), len(missing)
            )
            if plan.dry_run:
                # Planned calls are answered by errors: no flight others could join, no
                # revalidation, nothing stored.
                if missing:
                    planned = await self._fetch_for_caller(missing, wanted, None, budget)
                    out.errors.update(planned.errors)
                return out
        if refresh:
            self._metrics.stale_served.labels(self.name, "revalidate").inc(len(refresh))
            out.revalidating.update(refresh)
            self._revalidate(refresh, wanted)
        if missing:
            # Fetched now, or joined to a fetch started a moment ago: fresh for about a ttl.
            fresh_until = min(fresh_until, now + ttl)
            for cid, outcome in (await self._fetch(missing, wanted, budget)).items():
                if not isinstance(outcome, GatewayError):
                    out.records[cid] = outcome
                    out.fetched_at[cid] = now
                elif cid in fallback:
                    out.records[cid] = fallback[cid].value
                    out.stale[cid] = now - fallback[cid].stored_at
                    out.fetched_at[cid] = fallback[cid].stored_at
                    out.cached.add(cid)
                else:
                    out.errors[cid] = outcome
            if out.stale:
                self._metrics.stale_served.labels(self.name, "error").inc(len(out.stale))
                fresh_until = 0.0
        out.fresh_until = fresh_until
        if out.fetched_at:
            self._metrics.data_age.labels(self.name).observe(now - min(out.fetched_at.values()))
        return out

    async def _fetch_for_caller(
        self,
        ids: list[str],
        fields: frozenset[str] | None,
        caller_token: str | None,
        budget: RequestBudget | None,
    ) -> Fetched:
        # What the upstream answers depends on who asks: never cached, never shared.
        now = self._clock()
        try:
            records = await self.client.fetch_many(
                ids, fields, caller_token=caller_token, budget=budget
            )
        except GatewayError as exc:
            return Fetched(errors=dict.fromkeys(ids, exc), fresh_until=0.0)
        fetched = Fetched.of(records)
        fetched.fresh_until = 0.0
        fetched.fetched_at, fetched.as_of = dict.fromkeys(fetched.records, now), now
        return fetched

    async def invalidate(self, customer_ids: Sequence[str]) -> None:
        self._flights.forget(customer_ids)
        await self._cache.invalidate(self.name, customer_ids)

    def forget_locally(self, customer_ids: Sequence[str]) -> None:
        """Invalidate in this process only, for a change another replica announced."""
        self._flights.forget(customer_ids)
        self._cache.forget_locally(self.name, customer_ids)

    async def refresh(
        self, customer_ids: Sequence[str], *, budget: RequestBudget | None = None
    ) -> Fetched:
        """Fetch these customers' whole records, whatever is cached, and cache them.

        What a warm-up run does: one upstream batch (chunked to the source's batch size)
        that refills both tiers with entries able to serve any field set.
        """
        return Fetched.of(await self._fetch(list(dict.fromkeys(customer_ids)), None, budget))

    async def keep(self, records: Records, stored_at: float) -> None:
        """Cache whole records fetched some other way (a listing page) at ``stored_at``."""
        await self._cache.store(self.name, records, None, stored_at)

    async def aclose(self) -> None:
        await self._flights.aclose()

    def _count(self, hits: int, stale: int, misses: int) -> None:
        lookups = self._metrics.cache_lookups
        for result, n in (("hit", hits), ("stale", stale), ("miss", misses)):
            if n:
                lookups.labels(self.name, result).inc(n)

    async def _fetch(
        self, ids: list[str], wanted: FieldSet, budget: RequestBudget | None
    ) -> dict[str, Any]:
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
            flight = self._flights.start(new, wanted, functools.partial(self._fly, budget=budget))
            joined.update(dict.fromkeys(new, flight))
        tasks = {f.task for f in joined.values() if f.task is not None}
        # A joined flight runs within the budget of the request that started it; this one
        # waits only until its own deadline, and never cancels what others wait for.
        done, _ = await asyncio.wait(tasks, timeout=budget.remaining() if budget else None)
        result: dict[str, Any] = {}
        for cid, flight in joined.items():
            outcome = self._landed(flight, done)
            if isinstance(outcome, GatewayError):
                result[cid] = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                result[cid] = outcome.get(cid)
        return result

    def _landed(self, flight: Flight, done: set[asyncio.Task[Any]]) -> Any:
        """A flight's records, or the exception it ended with."""
        task = flight.task
        if task is None or task not in done:
            return UpstreamTimeout(
                "the request's deadline passed while the upstream call was in flight",
                source=self.name,
            )
        if task.cancelled():
            return asyncio.CancelledError()
        return task.exception() or task.result()

    def _revalidate(self, ids: list[str], wanted: FieldSet) -> None:
        stale = [cid for cid in ids if self._flights.find(cid, wanted) is None]
        if stale:
            self._flights.start(stale, wanted, self._fly)

    async def _fly(self, flight: Flight, budget: RequestBudget | None = None) -> Records:
        started = self._clock()
        records = await self.client.fetch_many(flight.ids, flight.fields, budget=budget)
        keep = {
            cid: records.get(cid)
            for cid in flight.ids
            if cid not in flight.invalidated and not isinstance(records.get(cid), GatewayError)
        }
        await self._cache.store(self.name, keep, flight.fields, started)
        return records
