"""Hypothesis strategies for valid GraphQL operations that use the whole query language.

hypothesis-graphql generates the fields and arguments (half of the time; the other half
selects most fields at every depth, which hypothesis-graphql rarely does); ``operations``
then rewrites each document with aliases, repeated (merged) fields, ``__typename``, inline
and named fragments, ``@skip``/``@include`` with literals and variables, and arguments passed
as variables, so both executors are compared on everything a client may send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import graphql
from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
)
from hypothesis import strategies as st
from hypothesis_graphql import queries


@dataclass(frozen=True)
class Operation:
    """A query text and the variables to send with it."""

    query: str
    variables: dict[str, Any]


def string(value: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=value)


def integer(value: int) -> graphql.IntValueNode:
    return graphql.IntValueNode(value=str(value))


@st.composite
def operations(
    draw: st.DrawFn,
    schema: GraphQLSchema,
    custom_scalars: Mapping[str, st.SearchStrategy[graphql.ValueNode]],
    root_fields: Sequence[str] | None = None,
) -> Operation:
    """A valid operation over ``schema`` selecting from ``root_fields`` (default: all);
    argument values come from ``custom_scalars``."""
    assert schema.query_type is not None
    if draw(st.booleans()):
        document: DocumentNode = draw(
            queries(
                schema,
                fields=root_fields,
                custom_scalars=dict(custom_scalars),
                print_ast=lambda d: d,
            )
        )
        (generated,) = document.definitions
        assert isinstance(generated, OperationDefinitionNode)
        base = generated.selection_set
    else:
        base = _deep(draw, schema.query_type, custom_scalars, root_fields)
    rewrite = _Rewrite(draw, schema)
    selection_set = rewrite.selection_set(schema.query_type, base)
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=NameNode(value="Generated") if draw(st.booleans()) else None,
        variable_definitions=tuple(rewrite.variable_definitions),
        directives=(),
        selection_set=selection_set,
    )
    text = graphql.print_ast(DocumentNode(definitions=(operation, *rewrite.fragments)))
    errors = graphql.validate(schema, graphql.parse(text))
    assert not errors, f"generated an invalid operation: {errors}\n{text}"
    return Operation(text, rewrite.variables)


def _deep(
    draw: st.DrawFn,
    parent: GraphQLObjectType,
    scalars: Mapping[str, st.SearchStrategy[graphql.ValueNode]],
    only: Sequence[str] | None = None,
) -> SelectionSetNode:
    """Most fields of ``parent`` and, recursively, of the objects below it."""
    names = [n for n in parent.fields if only is None or n in only]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    chosen += [n for n in names if n not in chosen and draw(st.integers(0, 2))]
    selections = []
    for name in chosen:
        definition = parent.fields[name]
        child = graphql.get_named_type(definition.type)
        arguments = [
            ArgumentNode(name=NameNode(value=arg), value=draw(_value(a.type, scalars)))
            for arg, a in definition.args.items()
            if graphql.is_non_null_type(a.type) or draw(st.booleans())
        ]
        sub = _deep(draw, child, scalars) if isinstance(child, GraphQLObjectType) else None
        selections.append(
            FieldNode(name=NameNode(value=name), arguments=tuple(arguments), selection_set=sub)
        )
    return SelectionSetNode(selections=tuple(selections))


def _value(
    type_: graphql.GraphQLInputType, scalars: Mapping[str, st.SearchStrategy[graphql.ValueNode]]
) -> st.SearchStrategy[graphql.ValueNode]:
    nullable = not graphql.is_non_null_type(type_)
    inner = graphql.get_nullable_type(type_)
    values: st.SearchStrategy[graphql.ValueNode]
    if isinstance(inner, graphql.GraphQLList):
        values = st.lists(_value(inner.of_type, scalars), max_size=4).map(
            lambda items: graphql.ListValueNode(values=tuple(items))
        )
    else:
        values = scalars[graphql.get_named_type(inner).name]
    return st.one_of(values, st.just(graphql.NullValueNode())) if nullable else values


@dataclass
class _Rewrite:
    draw: st.DrawFn
    schema: GraphQLSchema
    variables: dict[str, Any] = field(default_factory=dict)
    variable_definitions: list[VariableDefinitionNode] = field(default_factory=list)
    fragments: list[FragmentDefinitionNode] = field(default_factory=list)
    counter: int = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def selection_set(
        self, parent: GraphQLObjectType, original: SelectionSetNode
    ) -> SelectionSetNode:
        selections: list[SelectionNode] = []
        for selection in original.selections:
            assert isinstance(selection, FieldNode)
            node = self.field(parent, selection)
            selections.append(node)
            if self.draw(st.integers(0, 4)) == 0:
                selections.append(self.repeat(node))
        if self.draw(st.integers(0, 3)) == 0:
            alias = NameNode(value=self.name("t")) if self.draw(st.booleans()) else None
            selections.append(FieldNode(alias=alias, name=NameNode(value="__typename")))
        return SelectionSetNode(selections=tuple(self.regroup(parent, selections)))

    def field(self, parent: GraphQLObjectType, original: FieldNode) -> FieldNode:
        definition = parent.fields[original.name.value]
        sub = None
        if original.selection_set is not None:
            child = graphql.get_named_type(definition.type)
            assert isinstance(child, GraphQLObjectType)
            sub = self.selection_set(child, original.selection_set)
        return FieldNode(
            alias=NameNode(value=self.name("a")) if self.draw(st.integers(0, 3)) == 0 else None,
            name=original.name,
            arguments=tuple(
                self.argument(definition.args[a.name.value], a) for a in original.arguments
            ),
            directives=self.directives(),
            selection_set=sub,
        )

    def repeat(self, node: FieldNode) -> FieldNode:
        """The same field again, with part of its sub-selection: graphql merges the two."""
        sub = node.selection_set
        if sub is not None:
            chosen = self.draw(st.lists(st.sampled_from(sub.selections), min_size=1, unique_by=id))
            sub = SelectionSetNode(selections=tuple(chosen))
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=node.arguments,
            directives=self.directives(),
            selection_set=sub,
        )

    def argument(self, definition: graphql.GraphQLArgument, node: ArgumentNode) -> ArgumentNode:
        if not self.draw(st.booleans()):
            return node
        name = self.name("v")
        self.variables[name] = graphql.value_from_ast_untyped(node.value)
        self.variable_definitions.append(
            VariableDefinitionNode(
                variable=VariableNode(name=NameNode(value=name)),
                type=graphql.parse_type(str(definition.type)),
                directives=(),
            )
        )
        return ArgumentNode(name=node.name, value=VariableNode(name=NameNode(value=name)))

    def directives(self) -> tuple[DirectiveNode, ...]:
        kind = self.draw(st.sampled_from(["none", "none", "none", "skip", "include"]))
        if kind == "none":
            return ()
        if self.draw(st.booleans()):
            condition: graphql.ValueNode = graphql.BooleanValueNode(value=self.draw(st.booleans()))
        else:
            name = self.name("c")
            self.variables[name] = self.draw(st.booleans())
            self.variable_definitions.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=NameNode(value=name)),
                    type=graphql.parse_type("Boolean!"),
                    directives=(),
                )
            )
            condition = VariableNode(name=NameNode(value=name))
        argument = ArgumentNode(name=NameNode(value="if"), value=condition)
        return (DirectiveNode(name=NameNode(value=kind), arguments=(argument,)),)

    def regroup(
        self, parent: GraphQLObjectType, selections: list[SelectionNode]
    ) -> list[SelectionNode]:
        """Move a run of selections into an inline fragment or a named fragment."""
        how = self.draw(st.sampled_from(["as is", "as is", "inline", "named"]))
        if how == "as is" or not selections:
            return selections
        start = self.draw(st.integers(0, len(selections) - 1))
        end = self.draw(st.integers(start + 1, len(selections)))
        moved = SelectionSetNode(selections=tuple(selections[start:end]))
        condition = NamedTypeNode(name=NameNode(value=parent.name))
        group: SelectionNode
        if how == "inline":
            group = InlineFragmentNode(
                type_condition=condition if self.draw(st.booleans()) else None,
                directives=self.directives(),
                selection_set=moved,
            )
        else:
            name = self.name("F")
            self.fragments.append(
                FragmentDefinitionNode(
                    name=NameNode(value=name),
                    type_condition=condition,
                    directives=(),
                    selection_set=moved,
                )
            )
            group = FragmentSpreadNode(name=NameNode(value=name), directives=self.directives())
        return [*selections[:start], group, *selections[end:]]
