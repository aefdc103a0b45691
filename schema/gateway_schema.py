"""The gateway's Strawberry schema: compiled plans (``schema/fastpath``), demand planning
(``schema/demand.py``), and logging only what deserves a log line."""

from __future__ import annotations

from typing import Any

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionContext

from core import GatewayError
from datasources import Wanted
from resolvers import RequestContext
from schema.demand import DemandPlanner
from schema.fastpath import FastPathSchema

log = structlog.get_logger("customer_graph.schema")


def unexpected(error: GraphQLError) -> bool:
    """An error that is neither a GraphQL error nor one of ours: a bug, not news for clients.

    A query sent where only subscriptions run (a WebSocket) is the client's mistake.
    """
    original = error.original_error
    return original is not None and not isinstance(
        original, GatewayError | GraphQLError | InvalidOperationTypeError
    )


class GatewaySchema(FastPathSchema):
    """Strawberry's schema with compiled plans and one demand planner for its operations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.demand = DemandPlanner(self)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Upstream failures are logged once per call where they happen, not once per field;
        # refusals (FORBIDDEN, query limits) are answers, not faults.
        for error in errors:
            if unexpected(error):
                log.error(
                    "resolver failed",
                    path=error.path,
                    exc_info=error.original_error,
                )


def operation_wanted(info: strawberry.Info[RequestContext, None]) -> Wanted:
    """What the whole operation this field belongs to needs from each source."""
    schema = info.schema
    assert isinstance(schema, GatewaySchema)
    return schema.demand.wanted(info)
