"""Filling the cache ahead of traffic: the primary's listing, page by page, and for each page
one batch per other source, through the same cached sources every query uses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from core import Clock, UpstreamRejected
from datasources.cache import retention
from datasources.config import SourceConfig
from datasources.resilience import RequestBudget
from datasources.sources import ListedPage, SourceSet


class CacheWarmer:
    """Warms every source whose records are cached and the same for every caller.

    A source that forwards the caller's token answers per caller, and one with no cache
    lifetime keeps nothing: both are ``skipped``, with the reason.
    """

    def __init__(
        self, sources: SourceSet, configs: Mapping[str, SourceConfig], clock: Clock
    ) -> None:
        self._sources = sources
        self._configs = configs
        self._clock = clock
        self.skipped: dict[str, str] = {}
        for name, config in configs.items():
            if config.forward_caller_token:
                self.skipped[name] = "answers per caller (forward_caller_token)"
            elif retention(config) <= 0:
                self.skipped[name] = "not cached (ttl and stale windows are 0)"
        primary = sources.primary
        config = configs[primary]
        if config.listing is None or config.forward_caller_token:
            reason = "it has no listing" if config.listing is None else self.skipped[primary]
            raise UpstreamRejected(f"cannot page through the customers: {reason}", source=primary)
        self.primary = primary
        self.max_page_size = config.listing.max_limit
        self.others = [n for n in configs if n != primary and n not in self.skipped]

    @property
    def page_size(self) -> int:
        """The largest page every source fetches in one call: the listing's limit or the
        smallest batch size, whichever is less."""
        sizes = [self._configs[n].max_batch_size for n in self.others]
        return min([self.max_page_size, *sizes])

    async def list_page(
        self,
        size: int,
        after: str | None,
        updated_since: datetime | None,
        budget: RequestBudget | None = None,
    ) -> ListedPage:
        """The next page of customers; their primary records go straight into the cache."""
        started = self._clock()
        page = await self._sources.list_page(size, after, updated_since, None, budget=budget)
        await self._sources.keep(self.primary, page.records, started)
        return page

    async def load(
        self, customer_ids: list[str], source: str, budget: RequestBudget | None = None
    ) -> int:
        """Fetch and cache these customers' records of ``source``; how many failed."""
        fetched = await self._sources.refresh(source, customer_ids, budget=budget)
        return len(fetched.errors)
