"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from datasources import GatewayError
from schema.convert import DEMAND_TABLE
from schema.query import Query

__all__ = ["DEMAND_TABLE", "GatewaySchema", "build_schema"]

log = structlog.get_logger("customer_graph.schema")


def _unexpected(error: GraphQLError) -> bool:
    """An error that is neither a GraphQL error nor one of ours: a bug, not news for clients."""
    original = error.original_error
    return original is not None and not isinstance(original, GatewayError | GraphQLError)


class GatewaySchema(strawberry.Schema):
    """Strawberry's schema, logging only what deserves a log line."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Upstream failures are logged once per call where they happen, not once per field.
        for error in errors:
            if _unexpected(error):
                log.error(
                    "resolver failed",
                    path=error.path,
                    exc_info=error.original_error,
                )


def build_schema() -> strawberry.Schema:
    """The schema with the extensions every deployment runs."""
    return GatewaySchema(
        query=Query,
        extensions=[
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            lambda: MaskErrors(should_mask_error=_unexpected, error_message="internal error"),
        ],
    )
