"""The one selection collector: an operation's selections grouped by response key, as
graphql-core's CollectFields groups them.

Fragments (named and inline) are expanded, ``@skip``/``@include`` are decided with the
request's condition values, and fields sharing a response key are merged in document order.
The compiled plans (``schema/fastpath``) collect strictly: anything outside that (other
directives, fragment variables, a condition without a value) raises ``Unsupported``, and
Strawberry runs the operation. Demand planning (``schema/demand.py``) collects leniently:
other directives are ignored and an undecidable condition includes its selection, so it
never asks a source for less than execution will read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
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


def condition_variables(
    definitions: Iterable[ExecutableDefinitionNode],
) -> tuple[str, ...]:
    """Variables that decide a ``@skip``/``@include`` in these operations and fragments:
    they change what the operation selects."""
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

    for definition in definitions:
        visit(definition.selection_set)
    return tuple(found)


def collect_fields(
    schema: GraphQLSchema,
    runtime_type: GraphQLObjectType,
    selection_sets: Iterable[SelectionSetNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    conditions: Conditions,
    *,
    lenient: bool = False,
) -> GroupedFields:
    """The fields ``selection_sets`` select on ``runtime_type``, grouped by response key."""
    grouped: GroupedFields = {}
    visit = _Visit(schema, runtime_type, fragments, conditions, lenient, grouped)
    for selection_set in selection_sets:
        visit.selection_set(selection_set)
    return grouped


class _Visit:
    """One collection: where fields land, and the fragments already expanded."""

    def __init__(
        self,
        schema: GraphQLSchema,
        runtime_type: GraphQLObjectType,
        fragments: Mapping[str, FragmentDefinitionNode],
        conditions: Conditions,
        lenient: bool,
        grouped: GroupedFields,
    ) -> None:
        self.schema = schema
        self.runtime_type = runtime_type
        self.fragments = fragments
        self.conditions = conditions
        self.lenient = lenient
        self.grouped = grouped
        self.visited: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if not self.included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                self.grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if _applies(self.schema, selection, self.runtime_type):
                    self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if (
                    name in self.visited
                    or fragment is None
                    or not _applies(self.schema, fragment, self.runtime_type)
                ):
                    continue
                if fragment.variable_definitions and not self.lenient:
                    raise Unsupported("fragment variables")
                self.visited.add(name)
                self.selection_set(fragment.selection_set)

    def included(self, node: SelectionNode) -> bool:
        skip = include = None
        for directive in node.directives or ():
            name = directive.name.value
            if name not in _CONDITIONAL:
                if self.lenient:
                    continue
                raise Unsupported(f"directive @{name}")
            value = _condition(directive, self.conditions)
            if value is None and not self.lenient:
                raise Unsupported("a @skip/@include condition without a boolean value")
            if name == "skip":
                skip = value
            else:
                include = value
        # @skip wins over @include, as in graphql-core; an undecided one includes.
        return skip is not True and include is not False


def _condition(directive: DirectiveNode, conditions: Conditions) -> bool | None:
    for argument in directive.arguments or ():
        if argument.name.value != "if":
            continue
        value = argument.value
        if isinstance(value, BooleanValueNode):
            return value.value
        if isinstance(value, VariableNode):
            return conditions.get(value.name.value)
    return None


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
