"""The query limits as a Strawberry extension: checked after parsing, before validation.

It runs before the parser cache, so an oversized document is refused before it is parsed,
and before validation, whose cost also grows with the document.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from auth import LimitsSettings, QueryLimitSettings, check_operation, check_tokens, measure
from resolvers import RequestContext


class QueryLimits(SchemaExtension):
    """Refuses an operation over its caller's client-class limits; nothing is fetched."""

    def __init__(self, limits: LimitsSettings) -> None:
        self._limits = limits

    def _client(self) -> tuple[QueryLimitSettings, str]:
        context = self.execution_context.context
        assert isinstance(context, RequestContext)
        client_class = context.identity.client_class
        return self._limits.query_limits(client_class), client_class

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query is not None:
            check_tokens(query, *self._client())
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            limits, client_class = self._client()
            measures = measure(context.graphql_document, context.operation_name, context.variables)
            check_operation(measures, limits, client_class)
        yield
