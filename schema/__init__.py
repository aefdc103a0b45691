"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from schema.convert import DEMAND_TABLE
from schema.extensions import ResponseWarningsExtension
from schema.query import Query

__all__ = ["DEMAND_TABLE", "build_schema"]


def build_schema(
    *, parser_cache_size: int = 1024, validation_cache_size: int = 1024
) -> strawberry.Schema:
    """The schema with the extensions every deployment runs; repeated documents are parsed
    and validated once per cache size."""
    return strawberry.Schema(
        query=Query,
        extensions=[
            lambda: ParserCache(maxsize=parser_cache_size),
            lambda: ValidationCache(maxsize=validation_cache_size),
            ResponseWarningsExtension,
        ],
    )
