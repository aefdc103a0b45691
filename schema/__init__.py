"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache

from datasources import GatewayError
from schema.convert import DEMAND_TABLE
from schema.mutation import Mutation
from schema.query import Query

__all__ = ["DEMAND_TABLE", "build_schema"]


class _Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Upstream failures are expected, answered as typed errors and counted in metrics;
        # logging each with a traceback would bury the errors that are bugs.
        unexpected = [e for e in errors if not isinstance(e.original_error, GatewayError)]
        super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    """The schema with the extensions every deployment runs."""
    return _Schema(
        query=Query,
        mutation=Mutation,
        extensions=[lambda: ParserCache(maxsize=1024), lambda: ValidationCache(maxsize=1024)],
    )
