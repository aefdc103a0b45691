"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from auth import LimitsSettings
from datasources import Forbidden, QueryLimitExceeded
from schema.convert import DEMAND_TABLE
from schema.limits import QueryLimits
from schema.query import Query

__all__ = ["DEMAND_TABLE", "build_schema"]

log = structlog.get_logger("customer_graph.schema")


class GatewaySchema(strawberry.Schema):
    """Strawberry's schema, logging refusals as one line each instead of as faults."""

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: strawberry.types.ExecutionContext | None = None,
    ) -> None:
        faults = []
        for error in errors:
            refusal = error.original_error
            if isinstance(refusal, Forbidden | QueryLimitExceeded):
                # A refusal is the answer working as intended, not something to debug.
                log.info("refused", code=refusal.code, reason=refusal.message, path=error.path)
            else:
                faults.append(error)
        super().process_errors(faults, execution_context)


def build_schema(
    limits: LimitsSettings | None = None, *, introspection: bool = True
) -> strawberry.Schema:
    """The schema with the extensions every deployment runs."""
    query_limits = limits or LimitsSettings()
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        # First, so limits are checked before the cached parse and before validation.
        lambda: QueryLimits(query_limits),
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return GatewaySchema(query=Query, extensions=extensions)
