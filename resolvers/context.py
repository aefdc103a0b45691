"""The per-request context: sources, this request's loaders and what the operation needs."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLResolveInfo

from auth import Identity
from core import SystemTimer
from datasources import ChangeFeed, RequestBudget, SourceSet
from resolvers.demand import DemandTable, collect_demand
from resolvers.loaders import SourceLoader
from resolvers.warnings import ResponseWarnings


class RequestContext:
    """Created for each GraphQL request; holds nothing that outlives it."""

    def __init__(
        self,
        sources: SourceSet,
        demand_table: DemandTable,
        request: Any = None,
        response: Any = None,
        *,
        identity: Identity,
        budget: RequestBudget | None = None,
        idempotency_key: str | None = None,
        changes: ChangeFeed | None = None,
    ) -> None:
        self.sources = sources
        # Where subscriptions listen for customer changes; None where there are none.
        self.changes = changes
        # Every authorization decision reads this; see auth.permissions.
        self.identity = identity
        self.request = request
        self.response = response
        self.budget = budget or RequestBudget(SystemTimer())
        # The client's key for this request's writes (the Idempotency-Key header), if any.
        self.idempotency_key = idempotency_key
        # Seeds the keys of writes the client gave no key for: our own retries reuse them.
        self.request_id = uuid.uuid4().hex
        self._table = demand_table
        self._plan: dict[str, frozenset[str]] | None = None
        self._loaders: dict[str, SourceLoader] = {}
        self.warnings = ResponseWarnings()

    def renewed(self) -> RequestContext:
        """The same caller and transport with fresh loaders, plan, warnings and deadline.

        For each round of a long-lived operation (a subscription's next change): nothing
        loaded for an earlier round is served again, and each round has its own deadline.
        """
        renewed = copy.copy(self)
        renewed.budget = self.budget.fresh()
        renewed.request_id = uuid.uuid4().hex
        renewed._plan = None
        renewed._loaders = {}
        renewed.warnings = ResponseWarnings()
        return renewed

    def plan(self, info: GraphQLResolveInfo[Any]) -> dict[str, frozenset[str]]:
        """Sources to call for this operation, each with the fields wanted from it.

        Computed once for the whole operation, so every root field shares one loader (and
        one batch) per source.
        """
        if self._plan is None:
            root = info.schema.get_root_type(info.operation.operation)
            demand = collect_demand(
                info.schema,
                root,  # type: ignore[arg-type]
                info.operation.selection_set,
                info.fragments,
                _coerced(info.variable_values),
                self._table,
            )
            self._plan = self.sources.plan(demand)
        return self._plan

    def loader(self, source: str, fields: frozenset[str]) -> SourceLoader:
        loader = self._loaders.get(source)
        if loader is None:
            loader = self._loaders[source] = SourceLoader(
                self.sources.source(source),
                fields,
                self.warnings,
                self.caller_token,
                self.budget,
            )
        return loader

    def forget(self, customer_id: str) -> None:
        """Drop what this request loaded for a customer, so it is read again after a write."""
        for loader in self._loaders.values():
            loader.clear(customer_id)

    @property
    def caller_token(self) -> str | None:
        """The bearer token the GraphQL caller sent, for sources that forward it."""
        headers = getattr(self.request, "headers", None)
        value = headers.get("authorization") if headers is not None else None
        if not isinstance(value, str):
            return None
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()


def _coerced(variables: Any) -> Mapping[str, Any]:
    # graphql-core 3.3 wraps the coerced values; 3.2 passes the dict itself.
    coerced: Mapping[str, Any] = getattr(variables, "coerced", variables)
    return coerced
