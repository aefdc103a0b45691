"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from schema.convert import DEMAND_TABLE
from schema.query import Query

__all__ = ["DEMAND_TABLE", "build_schema"]


def build_schema() -> strawberry.Schema:
    """The schema with the extensions every deployment runs."""
    return strawberry.Schema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=1024), lambda: ValidationCache(maxsize=1024)],
    )
