"""The GraphQL schema: the unified Customer and the root types."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from cachetools import LRUCache
from strawberry.extensions import DisableIntrospection, MaskErrors, ParserCache, SchemaExtension

from auth import LimitsSettings
from schema.contract import SchemaChange, SchemaChanges, schema_changes, schema_sdl
from schema.extensions import (
    FreshnessExtension,
    QueryPlanExtension,
    ResponseWarningsExtension,
    WriteAllowanceExtension,
)
from schema.federation import SCALARS, FederationSettings, federated_query, subgraph_sdl
from schema.gateway_schema import GatewaySchema, unexpected
from schema.internals import graphql_schema
from schema.limits import QueryLimits
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription
from schema.validation import CachedValidation, SuggestionFreeExecutionContext, ValidationResults

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
    field_suggestions: bool = True,
    parser_cache_size: int = 1024,
    validation_cache_size: int = 1024,
    extra_extensions: Sequence[type[SchemaExtension]] = (),
    fast_path: bool = True,
    federation: FederationSettings | None = None,
) -> strawberry.Schema:
    """The schema with the extensions every deployment runs; repeated documents are parsed
    and validated once per cache size. ``extra_extensions`` run after those. With
    ``fast_path``, supported queries run through compiled plans. With ``federation``
    enabled, it is also a Federation 2 subgraph (docs/federation.md). Without
    ``field_suggestions`` errors never name fields or values the caller did not send."""
    query_limits = limits or LimitsSettings()
    validated: ValidationResults = LRUCache(maxsize=validation_cache_size)
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        # First, so limits are checked before the cached parse and before validation.
        lambda: QueryLimits(query_limits),
        lambda: ParserCache(maxsize=parser_cache_size),
        lambda: CachedValidation(validated, hide_suggestions=not field_suggestions),
        lambda: MaskErrors(should_mask_error=unexpected, error_message="internal error"),
        ResponseWarningsExtension,
        FreshnessExtension,
        QueryPlanExtension,
        WriteAllowanceExtension,
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
        execution_context_class=None if field_suggestions else SuggestionFreeExecutionContext,
    )
    if federation is not None and subgraph:
        schema.subgraph_sdl = subgraph_sdl(graphql_schema(schema), federation)
    return schema
