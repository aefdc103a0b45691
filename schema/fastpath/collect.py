"""Group an operation's selections by response key, as graphql-core's CollectFields does.

Fragments (named and inline) are expanded, ``@skip``/``@include`` are decided with the
request's condition values, and fields sharing a response key are merged in document order.
Anything outside that (other directives, fragment variables) is reported as unsupported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    is_abstract_type,
    type_from_ast,
)


class Unsupported(Exception):
    """The operation uses something the plan compiler does not handle; Strawberry runs it."""


Conditions = Mapping[str, bool]
GroupedFields = dict[str, list[FieldNode]]

_CONDITIONAL = ("skip", "include")


def condition_variables(document: DocumentNode) -> tuple[str, ...]:
    """Variables that decide a ``@skip``/``@include``: they change the plan's shape."""
    found: dict[str, None] = {}

    def visit(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            for directive in selection.directives or ():
                for argument in directive.arguments or ():
                    if directive.name.value in _CONDITIONAL and isinstance(
                        argument.value, VariableNode
                    ):
                        found[argument.value.name.value] = None
            visit(getattr(selection, "selection_set", None))

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            visit(definition.selection_set)
    return tuple(found)


def collect_fields(
    schema: GraphQLSchema,
    runtime_type: GraphQLObjectType,
    selection_sets: Iterable[SelectionSetNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    conditions: Conditions,
) -> GroupedFields:
    """The fields ``selection_sets`` select on ``runtime_type``, grouped by response key."""
    grouped: GroupedFields = {}
    visited: set[str] = set()
    for selection_set in selection_sets:
        _visit(schema, runtime_type, selection_set, fragments, conditions, grouped, visited)
    return grouped


def _visit(
    schema: GraphQLSchema,
    runtime_type: GraphQLObjectType,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    conditions: Conditions,
    grouped: GroupedFields,
    visited: set[str],
) -> None:
    for selection in selection_set.selections:
        if not _included(selection, conditions):
            continue
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            grouped.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            if _applies(schema, selection, runtime_type):
                _visit(
                    schema,
                    runtime_type,
                    selection.selection_set,
                    fragments,
                    conditions,
                    grouped,
                    visited,
                )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if name in visited or fragment is None or not _applies(schema, fragment, runtime_type):
                continue
            if fragment.variable_definitions:
                raise Unsupported("fragment variables")
            visited.add(name)
            _visit(
                schema,
                runtime_type,
                fragment.selection_set,
                fragments,
                conditions,
                grouped,
                visited,
            )


def _included(node: SelectionNode, conditions: Conditions) -> bool:
    skip = include = None
    for directive in node.directives or ():
        name = directive.name.value
        if name not in _CONDITIONAL:
            raise Unsupported(f"directive @{name}")
        value = _condition(directive, conditions)
        if name == "skip":
            skip = value
        else:
            include = value
    # @skip wins over @include, as in graphql-core.
    return not skip and include is not False


def _condition(directive: DirectiveNode, conditions: Conditions) -> bool:
    for argument in directive.arguments or ():
        if argument.name.value != "if":
            continue
        value = argument.value
        if isinstance(value, BooleanValueNode):
            return value.value
        if isinstance(value, VariableNode) and value.name.value in conditions:
            return conditions[value.name.value]
    raise Unsupported("a @skip/@include condition without a boolean value")


def _applies(
    schema: GraphQLSchema,
    fragment: InlineFragmentNode | FragmentDefinitionNode,
    runtime_type: GraphQLObjectType,
) -> bool:
    if fragment.type_condition is None:
        return True
    condition = type_from_ast(schema, fragment.type_condition)
    if condition is runtime_type:
        return True
    return bool(is_abstract_type(condition) and schema.is_sub_type(condition, runtime_type))
