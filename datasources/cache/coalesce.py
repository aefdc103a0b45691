"""Upstream fetches in flight, so concurrent requests for the same records share one.

A flight runs as its own task: a caller that gives up (a client that disconnects) cancels
only its wait, never the fetch others are waiting for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from core import GatewayError
from datasources.cache.entry import FieldSet, covers

log = structlog.get_logger("customer_graph.cache")


@dataclass(eq=False)
class Flight:
    """One upstream batch for ``ids`` with ``fields``; ``invalidated`` ids must not be kept."""

    ids: tuple[str, ...]
    fields: FieldSet
    invalidated: set[str] = field(default_factory=set)
    task: asyncio.Task[Any] | None = None

    def covers(self, wanted: FieldSet) -> bool:
        return covers(self.fields, wanted)


class Flights:
    """The flights of one source, by customer id."""

    def __init__(self, *, share: bool = True) -> None:
        self._share = share
        self._by_id: dict[str, list[Flight]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def find(self, customer_id: str, wanted: FieldSet) -> Flight | None:
        """A flight already fetching this customer with at least the wanted fields."""
        if not self._share:
            return None
        return next((f for f in self._by_id.get(customer_id, ()) if f.covers(wanted)), None)

    def start(
        self,
        ids: Sequence[str],
        fields: FieldSet,
        fetch: Callable[[Flight], Awaitable[Any]],
    ) -> Flight:
        flight = Flight(tuple(ids), fields)
        for cid in flight.ids:
            self._by_id.setdefault(cid, []).append(flight)
        task = asyncio.create_task(self._fly(flight, fetch))
        flight.task = task
        self._tasks.add(task)
        task.add_done_callback(self._landed)
        return flight

    def forget(self, customer_ids: Iterable[str]) -> None:
        """Later callers must not join flights for these customers, nor keep their results."""
        for cid in customer_ids:
            for flight in self._by_id.pop(cid, ()):
                flight.invalidated.add(cid)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _fly(self, flight: Flight, fetch: Callable[[Flight], Awaitable[Any]]) -> Any:
        try:
            return await fetch(flight)
        finally:
            for cid in flight.ids:
                flights = self._by_id.get(cid)
                if flights and flight in flights:
                    flights.remove(flight)
                    if not flights:
                        del self._by_id[cid]

    def _landed(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        # Waiters get the outcome themselves; a background refresh has none, so a bug there
        # is logged here (upstream failures are already counted by the client).
        exc = task.exception()
        if exc is not None and not isinstance(exc, GatewayError):
            log.error("upstream fetch failed unexpectedly", exc_info=exc)
