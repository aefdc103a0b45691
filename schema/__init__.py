"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from auth import LimitsSettings
from schema.convert import DEMAND_TABLE
from schema.limits import QueryLimits
from schema.query import Query

__all__ = ["DEMAND_TABLE", "build_schema"]


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
    return strawberry.Schema(query=Query, extensions=extensions)
