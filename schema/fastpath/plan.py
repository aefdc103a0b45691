"""What a compiled operation is made of: field sites, each with its completer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType

from schema.fastpath.errors import Position

if TYPE_CHECKING:
    from schema.fastpath.state import RequestState

# Turns a field's value into its response value at a position, raising what graphql-core
# would raise there (the caller locates the error and decides where the null goes).
Completer = Callable[[Any, Position, "RequestState"], Any]


@dataclass(frozen=True, slots=True, eq=False)
class FieldSite:
    """One response key of one selection set, with the merged field nodes that select it."""

    key: str
    field: GraphQLField
    parent: GraphQLObjectType
    nodes: list[FieldNode]
    complete: Completer
    non_null: bool
    # Values the response holds exactly as found (null where allowed, verbatim leaves), and
    # values one call serializes: an object's completer takes these without ``complete``.
    passthrough: frozenset[type[Any]]
    serializers: Mapping[type[Any], Callable[[Any], Any]]


@dataclass(frozen=True, slots=True)
class Plan:
    """An operation compiled for one set of ``@skip``/``@include`` conditions."""

    root: GraphQLObjectType
    fields: tuple[FieldSite, ...]
