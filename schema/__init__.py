"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from schema.convert import DEMAND_TABLE
from schema.fastpath import FastPathSchema
from schema.query import Query

__all__ = ["DEMAND_TABLE", "build_schema"]


def build_schema(*, fast_path: bool = True) -> strawberry.Schema:
    """The schema with the extensions every deployment runs.

    With ``fast_path``, supported queries run through compiled plans (schema/fastpath).
    """
    return FastPathSchema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=1024), lambda: ValidationCache(maxsize=1024)],
        fast_path=fast_path,
    )
