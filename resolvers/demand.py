"""Look ahead at an operation to find which entity fields it needs, before loading.

The walk follows fragments and evaluates ``@skip``/``@include`` with the request's
variables, so exactly the sources the response will read are called, all in one round.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

# GraphQL type name -> field name -> (entity, model fields the field reads).
DemandTable = Mapping[str, Mapping[str, tuple[str, tuple[str, ...]]]]

Demand = dict[str, set[str]]


def collect_demand(
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    table: DemandTable,
) -> Demand:
    """The entity fields that ``selection_set`` on ``parent`` reads, at any depth."""
    demand: Demand = {}
    _walk(schema, parent, selection_set, fragments, variables, table, demand, set())
    return demand


def _included(node: Any, variables: Mapping[str, Any]) -> bool:
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        condition = _condition(directive, variables)
        if condition is (name == "skip"):
            return False
    return True


def _condition(directive: DirectiveNode, variables: Mapping[str, Any]) -> bool | None:
    for argument in directive.arguments or ():
        if argument.name.value != "if":
            continue
        value = argument.value
        if isinstance(value, BooleanValueNode):
            return value.value
        if isinstance(value, VariableNode):
            found = variables.get(value.name.value)
            return found if isinstance(found, bool) else None
    return None


def _walk(
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    table: DemandTable,
    demand: Demand,
    seen_fragments: set[str],
) -> None:
    if selection_set is None or not isinstance(parent, GraphQLObjectType):
        return
    reads = table.get(parent.name, {})
    for selection in selection_set.selections:
        if not _included(selection, variables):
            continue
        if isinstance(selection, FieldNode):
            name = selection.name.value
            read = reads.get(name)
            if read is not None:
                demand.setdefault(read[0], set()).update(read[1])
            field = parent.fields.get(name)
            if field is not None and selection.selection_set is not None:
                child = get_named_type(field.type)
                _walk(
                    schema,
                    child,
                    selection.selection_set,
                    fragments,
                    variables,
                    table,
                    demand,
                    seen_fragments,
                )
        elif isinstance(selection, InlineFragmentNode):
            target: GraphQLNamedType = parent
            if selection.type_condition is not None:
                target = schema.get_type(selection.type_condition.name.value) or parent
            _walk(
                schema,
                target,
                selection.selection_set,
                fragments,
                variables,
                table,
                demand,
                seen_fragments,
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            # Validation forbids fragment cycles; the guard keeps a bad document finite.
            if fragment is None or name in seen_fragments:
                continue
            spread_target = schema.get_type(fragment.type_condition.name.value) or parent
            _walk(
                schema,
                spread_target,
                fragment.selection_set,
                fragments,
                variables,
                table,
                demand,
                seen_fragments | {name},
            )
