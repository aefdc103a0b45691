"""Per-request dataloaders: one per source, batching every customer id asked in a tick."""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader

from datasources import RequestBudget, SourceSet
from resolvers.freshness import ResponseFreshness
from resolvers.provenance import Provenance
from resolvers.warnings import ResponseWarnings


class SourceLoader(DataLoader[str, Any]):
    """Loads one source's records by customer id; a customer that failed gets its error."""

    def __init__(
        self,
        sources: SourceSet,
        source: str,
        fields: frozenset[str],
        warnings: ResponseWarnings,
        freshness: ResponseFreshness,
        provenance: Provenance,
        caller_token: str | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        # The source chunks to the upstream's batch size itself and runs chunks concurrently.
        super().__init__(max_batch_size=None)
        self._sources = sources
        self._source = source
        self._fields = fields
        self._warnings = warnings
        self._freshness = freshness
        self._provenance = provenance
        self._caller_token = caller_token
        self._budget = budget

    async def batch_load_fn(self, keys: list[str]) -> list[Any]:
        fetched = await self._sources.fetch(
            self._source, keys, self._fields, caller_token=self._caller_token, budget=self._budget
        )
        if fetched.stale:
            self._warnings.stale_data(self._source, fetched.stale)
        self._freshness.record(self._source, fetched)
        self._provenance.read(self._source, keys, fetched.fresh_until)
        return [fetched.errors.get(key) or fetched.records.get(key) for key in keys]
