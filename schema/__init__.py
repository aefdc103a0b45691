"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from auth import LimitsSettings
from schema.contract import SchemaChange, SchemaChanges, schema_changes, schema_sdl
from schema.extensions import FreshnessExtension, ResponseWarningsExtension
from schema.federation import SCALARS, FederationSettings, federated_query, subgraph_sdl
from schema.gateway_schema import GatewaySchema, unexpected
from schema.internals import graphql_schema
from schema.limits import QueryLimits
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription

__all__ = [
    "FederationSettings",
    "GatewaySchema",
    "SchemaChange",
    "SchemaChanges",
    "build_schema",
    "schema_changes",
    "schema_sdl",
]


def build_schema(
    limits: LimitsSettings | None = None,
    *,
    introspection: bool = True,
    parser_cache_size: int = 1024,
    validation_cache_size: int = 1024,
    extra_extensions: Sequence[type[SchemaExtension]] = (),
    fast_path: bool = True,
    federation: FederationSettings | None = None,
) -> strawberry.Schema:
    """The schema with the extensions every deployment runs; repeated documents are parsed
    and validated once per cache size. ``extra_extensions`` run after those. With
    ``fast_path``, supported queries run through compiled plans. With ``federation``
    enabled, it is also a Federation 2 subgraph (docs/federation.md)."""
    query_limits = limits or LimitsSettings()
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        # First, so limits are checked before the cached parse and before validation.
        lambda: QueryLimits(query_limits),
        lambda: ParserCache(maxsize=parser_cache_size),
        lambda: ValidationCache(maxsize=validation_cache_size),
        lambda: MaskErrors(should_mask_error=unexpected, error_message="internal error"),
        ResponseWarningsExtension,
        FreshnessExtension,
        *extra_extensions,
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    subgraph = federation is not None and federation.enabled
    schema = GatewaySchema(
        query=federated_query(Query) if subgraph else Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        fast_path=fast_path,
        scalar_overrides=SCALARS if subgraph else None,
    )
    if federation is not None and subgraph:
        schema.subgraph_sdl = subgraph_sdl(graphql_schema(schema), federation)
    return schema
