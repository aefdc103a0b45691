"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionContext

from auth import LimitsSettings
from core import GatewayError
from schema.convert import DEMAND_TABLE
from schema.extensions import ResponseWarningsExtension
from schema.fastpath import FastPathSchema
from schema.limits import QueryLimits
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription

__all__ = ["DEMAND_TABLE", "GatewaySchema", "build_schema"]

log = structlog.get_logger("customer_graph.schema")


def _unexpected(error: GraphQLError) -> bool:
    """An error that is neither a GraphQL error nor one of ours: a bug, not news for clients.

    A query sent where only subscriptions run (a WebSocket) is the client's mistake.
    """
    original = error.original_error
    return original is not None and not isinstance(
        original, GatewayError | GraphQLError | InvalidOperationTypeError
    )


class GatewaySchema(FastPathSchema):
    """Strawberry's schema with the fast path (schema/fastpath), logging only what deserves a
    log line."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Upstream failures are logged once per call where they happen, not once per field;
        # refusals (FORBIDDEN, query limits) are answers, not faults.
        for error in errors:
            if _unexpected(error):
                log.error(
                    "resolver failed",
                    path=error.path,
                    exc_info=error.original_error,
                )


def build_schema(
    limits: LimitsSettings | None = None,
    *,
    introspection: bool = True,
    parser_cache_size: int = 1024,
    validation_cache_size: int = 1024,
    extra_extensions: Sequence[type[SchemaExtension]] = (),
    fast_path: bool = True,
) -> strawberry.Schema:
    """The schema with the extensions every deployment runs; repeated documents are parsed
    and validated once per cache size. ``extra_extensions`` run after those. With
    ``fast_path``, supported queries run through compiled plans."""
    query_limits = limits or LimitsSettings()
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        # First, so limits are checked before the cached parse and before validation.
        lambda: QueryLimits(query_limits),
        lambda: ParserCache(maxsize=parser_cache_size),
        lambda: ValidationCache(maxsize=validation_cache_size),
        lambda: MaskErrors(should_mask_error=_unexpected, error_message="internal error"),
        ResponseWarningsExtension,
        *extra_extensions,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        fast_path=fast_path,
    )
