"""The per-request context: who asks, the sources, this request's loaders and deadline."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from auth import Identity, WriteLimits
from core import SystemTimer
from datasources import ChangeFeed, KeyBindings, RequestBudget, SourceSet, Wanted
from resolvers.freshness import ResponseFreshness
from resolvers.loaders import SourceLoader
from resolvers.provenance import Provenance
from resolvers.warnings import ResponseWarnings


class RequestContext:
    """Created for each GraphQL request; holds nothing that outlives it.

    ``caller_token`` is the bearer token the caller sent, for sources that forward it;
    ``show_freshness`` puts how fresh each source's data is in the response's extensions.
    """

    def __init__(
        self,
        sources: SourceSet,
        request: Any = None,
        response: Any = None,
        *,
        identity: Identity,
        key_bindings: KeyBindings,
        write_limits: WriteLimits,
        budget: RequestBudget | None = None,
        idempotency_key: str | None = None,
        changes: ChangeFeed | None = None,
        caller_token: str | None = None,
        show_freshness: bool = False,
    ) -> None:
        self.sources = sources
        # Where subscriptions listen for customer changes; None where there are none.
        self.changes = changes
        # Every authorization decision reads this; see auth.permissions.
        self.identity = identity
        self.request = request
        self.response = response
        self.caller_token = caller_token
        self.budget = budget or RequestBudget(SystemTimer())
        # The client's key for this request's writes (the Idempotency-Key header), if any.
        self.idempotency_key = idempotency_key
        # Which request each client key was first used with (datasources/idempotency.py).
        self.key_bindings = key_bindings
        self._write_limits = write_limits
        # The upstream writes this operation may still cause; see start_operation.
        self.writes = write_limits.allowance(identity)
        # Seeds the keys of writes the client gave no key for: our own retries reuse them.
        self.write_seed = uuid.uuid4().hex
        # What the whole operation needs from each source, set once by the schema, so every
        # root field shares one loader (and one batch) per source.
        self.wanted: Wanted | None = None
        self._loaders: dict[str, SourceLoader] = {}
        self.warnings = ResponseWarnings()
        self.freshness = ResponseFreshness()
        self.show_freshness = show_freshness
        # What the answer is built from, for the response cache.
        self.provenance = Provenance()

    def start_operation(self) -> None:
        """A fresh write allowance, for the caller as now known: each operation of a
        WebSocket connection (whose caller is known after its first message) has its own."""
        self.writes = self._write_limits.allowance(self.identity)

    def renewed(self) -> RequestContext:
        """The same caller and transport with fresh loaders, demand, warnings and deadline.

        For each round of a long-lived operation (a subscription's next change): nothing
        loaded for an earlier round is served again, and each round has its own deadline.
        """
        renewed = copy.copy(self)
        renewed.budget = self.budget.fresh()
        renewed.write_seed = uuid.uuid4().hex
        renewed.wanted = None
        renewed._loaders = {}
        renewed.warnings = ResponseWarnings()
        renewed.freshness = ResponseFreshness()
        renewed.provenance = Provenance()
        return renewed

    def loader(self, source: str, fields: frozenset[str]) -> SourceLoader:
        loader = self._loaders.get(source)
        if loader is None:
            loader = self._loaders[source] = SourceLoader(
                self.sources,
                source,
                fields,
                self.warnings,
                self.freshness,
                self.provenance,
                self.caller_token,
                self.budget,
            )
        return loader

    def forget(self, customer_id: str) -> None:
        """Drop what this request loaded for a customer, so it is read again after a write."""
        for loader in self._loaders.values():
            loader.clear(customer_id)
