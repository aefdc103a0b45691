"""The query limits as a Strawberry extension: checked after parsing, before validation.

It runs before the parser cache, so an oversized document is refused before it is parsed,
and before validation, whose cost also grows with the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auth import LimitsSettings, QueryLimitSettings, QueryMeasures, check_operation, check_tokens
from core import QueryLimitExceeded
from resolvers import RequestContext
from schema.fastpath.prepared import PreparedExtension, PreparedOperation
from schema.measure import count_tokens, measure


class QueryLimits(PreparedExtension):
    """Refuses an operation over its caller's client-class limits; nothing is fetched."""

    def __init__(self, limits: LimitsSettings) -> None:
        self._limits = limits

    def _client(self, context: Any) -> tuple[QueryLimitSettings, str]:
        assert isinstance(context, RequestContext)
        client_class = context.identity.client_class
        return self._limits.query_limits(client_class), client_class

    def accepts_prepared(
        self, operation: PreparedOperation, variables: dict[str, Any] | None, context: Any
    ) -> bool:
        # The same checks as the hooks below; a refusal is reported by Strawberry's run.
        limits, client_class = self._client(context)
        try:
            _check_tokens(operation.query, limits, client_class)
            measures = measure(operation.document, operation.operation_name, variables)
            _planned(context, measures, limits)
            check_operation(measures, limits, client_class)
        except QueryLimitExceeded:
            return False
        return True

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query is not None:
            _check_tokens(query, *self._client(self.execution_context.context))
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            limits, client_class = self._client(context.context)
            measures = measure(context.graphql_document, context.operation_name, context.variables)
            _planned(context.context, measures, limits)
            check_operation(measures, limits, client_class)
        yield


def _planned(context: Any, measures: QueryMeasures, limits: QueryLimitSettings) -> None:
    # A query plan shows the cost against the limit, refused or not.
    plan = context.budget.plan if isinstance(context, RequestContext) else None
    if plan is not None:
        plan.cost, plan.max_cost = measures.cost, limits.max_cost


def _check_tokens(query: str, limits: QueryLimitSettings, client_class: str) -> None:
    # Every token is at least one character long: a short query needs no counting.
    if len(query) > limits.max_tokens:
        check_tokens(count_tokens(query, limits.max_tokens), limits, client_class)
