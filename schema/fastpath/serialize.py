"""Leaf values to response values, exactly as the schema's scalars serialize them.

Every value goes through its scalar's own ``coerce_output_value`` (graphql-core's for the
built-in scalars, Strawberry's for Date, DateTime, Decimal ...), except values of the types a
scalar is known to return unchanged: those are copied without a call. Values a scalar
serializes with a call that cannot fail are serialized by the object's completer directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from types import MappingProxyType
from typing import Any

from graphql import GraphQLBoolean, GraphQLID, GraphQLInt, GraphQLLeafType, GraphQLString
from graphql.pyutils import Undefined, inspect

from schema.internals import isoformat

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

# Exact types only: the scalars may treat a subclass (an enum member, say) differently.
_PASSTHROUGH: tuple[tuple[GraphQLLeafType, frozenset[type[Any]]], ...] = (
    (GraphQLString, frozenset({str})),
    (GraphQLID, frozenset({str})),
    (GraphQLBoolean, frozenset({bool})),
)


def passthrough_types(leaf: GraphQLLeafType) -> frozenset[type[Any]]:
    """Types whose values ``leaf`` serializes to themselves."""
    for scalar, kinds in _PASSTHROUGH:
        if leaf is scalar:
            return kinds
    return frozenset()


def exact_serializers(leaf: GraphQLLeafType) -> Mapping[type[Any], Callable[[Any], Any]]:
    """Types whose values ``leaf`` serializes with one call that cannot fail or return null:
    Strawberry's Date, DateTime and Time call ``isoformat``, which gives these a str."""
    if leaf.coerce_output_value is isoformat:
        return MappingProxyType(dict.fromkeys((date, datetime, time), isoformat))
    return MappingProxyType({})


def leaf_serializer(leaf: GraphQLLeafType) -> Callable[[Any], Any]:
    """Serialize one non-null value of ``leaf``, raising as graphql-core's completion does."""
    coerce = leaf.coerce_output_value
    passthrough = passthrough_types(leaf)
    is_int = leaf is GraphQLInt

    def serialize(value: Any) -> Any:
        kind = type(value)
        if kind in passthrough or (is_int and kind is int and _INT_MIN <= value <= _INT_MAX):
            return value
        coerced = coerce(value)
        if coerced is Undefined or coerced is None:
            raise TypeError(
                f"Expected `{inspect(leaf)}.coerce_output_value({inspect(value)})`"
                f" to return non-nullable value, returned: {inspect(coerced)}"
            )
        return coerced

    return serialize
