"""The Strawberry and graphql-core internals this project relies on, in one place.

Everything here is outside those libraries' public API, which is why pyproject.toml pins
both to the minor versions tested; docs/architecture.md says how to move the pins (run the
differential tests against the new versions first). The compiled plans (``schema/fastpath``)
also build on Strawberry's execution context and extension classes, which are public.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

import strawberry
from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
)
from graphql.execution.collect_fields import FieldDetails
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.types.base_scalars import isoformat
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import get_strawberry_type_cast
from strawberry.types.field import StrawberryField
from strawberry.utils.operation import get_first_operation

__all__ = [
    "STRAWBERRY_RULES",
    "StrawberryExecutionContext",
    "convert_arguments",
    "field_definition",
    "field_details",
    "get_first_operation",
    "graphql_schema",
    "is_cast",
    "isoformat",
    "object_definitions",
    "optimized_is_awaitable",
    "raw_info",
    "scalar_registry",
    "type_definition",
]

# Where Strawberry keeps the definition a GraphQL type or field was made from
# (GraphQLCoreConverter.DEFINITION_BACKREF).
_DEFINITION: Final = "strawberry-definition"

# The rules Strawberry's own validation adds to graphql-core's (schema.validate_document).
STRAWBERRY_RULES: Final = (MaybeNullValidationRule, OneOfInputValidationRule)

# The execution context Strawberry builds graphql-core's executor with.
StrawberryExecutionContext = StrawberryGraphQLCoreExecutionContext


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built."""
    return schema._schema


def raw_info(info: strawberry.Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info behind Strawberry's: the operation's fragments are only
    there."""
    return info._raw_info


def field_definition(field: GraphQLField) -> StrawberryField | None:
    """The Strawberry field a GraphQL field was made from, if it was made from one."""
    definition = field.extensions.get(_DEFINITION)
    return definition if isinstance(definition, StrawberryField) else None


def type_definition(type_: GraphQLNamedType) -> object:
    """What Strawberry made a GraphQL type from (a StrawberryObjectDefinition, a
    StrawberryUnion ...), or None."""
    return type_.extensions.get(_DEFINITION)


def object_definitions(
    schema: strawberry.Schema,
) -> Iterator[tuple[GraphQLObjectType, StrawberryObjectDefinition]]:
    """Each object type of the schema made from a Strawberry type, with its definition."""
    for type_ in graphql_schema(schema).type_map.values():
        if isinstance(type_, GraphQLObjectType):
            definition = type_.extensions.get(_DEFINITION)
            if isinstance(definition, StrawberryObjectDefinition):
                yield type_, definition


def scalar_registry(schema: strawberry.Schema) -> Mapping[object, Any]:
    """The scalars the schema serializes, by their Python type."""
    return schema.schema_converter.scalar_registry


def field_details(nodes: list[FieldNode]) -> list[FieldDetails]:
    """Field nodes as graphql-core's executor groups them (no @defer, no fragment
    variables: the compiled plans take neither)."""
    return [FieldDetails(node, None) for node in nodes]


def is_cast(value: object) -> bool:
    """Whether ``strawberry.cast`` marked ``value`` as an instance of another type."""
    return get_strawberry_type_cast(value) is not None
