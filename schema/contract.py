"""The schema as partners integrate against it: its SDL, and what changed between two SDLs.

The SDL is the one ``_service`` gives routers when the gateway is a federation subgraph, and
Strawberry's printed schema otherwise, so ``customer-graph schema``, ``schema.graphql`` and
``/graphql/schema.graphql`` all say what the running gateway serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DirectiveLocation,
    GraphQLError,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)
from strawberry.schema.base import BaseSchema

from schema.gateway_schema import GatewaySchema

# Where a client's operation can use a directive; the others annotate the schema itself.
_EXECUTABLE = frozenset(
    {
        DirectiveLocation.QUERY,
        DirectiveLocation.MUTATION,
        DirectiveLocation.SUBSCRIPTION,
        DirectiveLocation.FIELD,
        DirectiveLocation.FRAGMENT_DEFINITION,
        DirectiveLocation.FRAGMENT_SPREAD,
        DirectiveLocation.INLINE_FRAGMENT,
        DirectiveLocation.VARIABLE_DEFINITION,
    }
)


def schema_sdl(schema: BaseSchema) -> str:
    """The SDL ``schema`` serves, ending in a newline."""
    if isinstance(schema, GatewaySchema) and schema.subgraph_sdl is not None:
        return schema.subgraph_sdl
    return schema.as_str() + "\n"


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One difference a client may notice: its graphql-core kind and what it says."""

    kind: str
    description: str


@dataclass(frozen=True, slots=True)
class SchemaChanges:
    """Changes from a base schema: ``breaking`` ones fail clients written against the base;
    ``dangerous`` ones may change what such a client sees (a new enum value, a new default)."""

    breaking: tuple[SchemaChange, ...]
    dangerous: tuple[SchemaChange, ...]


def schema_changes(base_sdl: str, new_sdl: str) -> SchemaChanges:
    """What changed from ``base_sdl`` to ``new_sdl``; ``ValueError`` names an SDL that does
    not parse."""
    base, new = _built(base_sdl, "base"), _built(new_sdl, "new")
    return SchemaChanges(
        breaking=tuple(
            SchemaChange(c.type.name, c.description) for c in find_breaking_changes(base, new)
        ),
        dangerous=tuple(
            SchemaChange(c.type.name, c.description) for c in find_dangerous_changes(base, new)
        ),
    )


def _built(sdl: str, which: str) -> GraphQLSchema:
    """The schema of ``sdl`` with only the directives operations can use: one that only
    annotates the schema (``@requiresScopes``, the federation's) never breaks a client."""
    # assume_valid_sdl: a subgraph SDL uses the federation's directives without defining them.
    try:
        schema = build_schema(sdl, assume_valid_sdl=True)
    except GraphQLError as exc:
        where = "".join(f" (line {at.line}, column {at.column})" for at in exc.locations or ())
        raise ValueError(f"the {which} schema is not valid SDL: {exc.message}{where}") from None
    except TypeError as exc:
        raise ValueError(f"the {which} schema is not valid SDL: {exc}") from None
    directives = [d for d in schema.directives if _EXECUTABLE.intersection(d.locations)]
    return GraphQLSchema(
        query=schema.query_type,
        mutation=schema.mutation_type,
        subscription=schema.subscription_type,
        types=tuple(schema.type_map.values()),
        directives=directives,
        assume_valid=True,
    )
