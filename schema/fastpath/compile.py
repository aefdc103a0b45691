"""Compile a validated query into a plan: a tree of completers, decided once per shape.

Per field, the compiler decides what graphql-core would look up for every object: the
resolver (a plain attribute read for Strawberry's basic fields, otherwise the field's own
Strawberry resolver with its extensions, permission checks included), the completion of
its type, and its sub-selection, already collected through fragments and conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import attrgetter
from types import MappingProxyType, NoneType
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationDefinitionNode,
    OperationType,
    TypeNameMetaFieldDef,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from schema.fastpath import complete
from schema.fastpath.permissions import context_permissions
from schema.fastpath.plan import Completer, FieldSite, Plan
from schema.fastpath.serialize import exact_serializers, leaf_serializer, passthrough_types
from schema.fastpath.state import Prepare
from schema.internals import convert_arguments, field_definition, graphql_schema, scalar_registry
from schema.selections import Conditions, Unsupported, collect_fields


class PlanCompiler:
    """Compiles the query operations of one Strawberry schema."""

    def __init__(self, schema: strawberry.Schema) -> None:
        self._schema = graphql_schema(schema)
        self._config = schema.config
        self._scalars = scalar_registry(schema)

    def compile(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        conditions: Conditions,
    ) -> Plan:
        """The plan for ``operation``; raises ``Unsupported`` for what Strawberry must run."""
        if operation.operation is not OperationType.QUERY:
            raise Unsupported(f"{operation.operation.value} operations")
        if operation.directives:
            raise Unsupported("operation directives")
        root = self._schema.query_type
        assert root is not None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        walk = _Walk(self._schema, fragments, conditions, self._config, self._scalars)
        grouped = collect_fields(
            self._schema, root, [operation.selection_set], fragments, conditions
        )
        return Plan(root, tuple(walk.site(root, key, nodes) for key, nodes in grouped.items()))


class _Walk:
    """One compilation: the document's fragments and the conditions it was compiled for."""

    def __init__(
        self,
        schema: Any,
        fragments: Mapping[str, FragmentDefinitionNode],
        conditions: Conditions,
        config: StrawberryConfig,
        scalars: Mapping[object, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.conditions = conditions
        self.config = config
        self.scalars = scalars

    def site(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> FieldSite:
        name = nodes[0].name.value
        if name == "__typename":
            field = TypeNameMetaFieldDef
        elif name.startswith("__"):
            raise Unsupported(f"introspection field {name}")
        elif name in parent.fields:
            field = parent.fields[name]
        else:
            raise Unsupported(f"unknown field {parent.name}.{name}")
        return FieldSite(
            key=key,
            field=field,
            parent=parent,
            nodes=nodes,
            complete=self.completer(field.type, parent.name, name, nodes),
            non_null=is_non_null_type(field.type),
            passthrough=_passthrough(field.type),
            serializers=_serializers(field.type),
        )

    def completer(
        self, type_: GraphQLOutputType, parent: str, name: str, nodes: list[FieldNode]
    ) -> Completer:
        if isinstance(type_, GraphQLNonNull):
            return complete.non_null(
                self.completer(type_.of_type, parent, name, nodes), parent, name
            )
        if isinstance(type_, GraphQLList):
            item = type_.of_type
            return complete.list_of(
                self.completer(item, parent, name, nodes),
                is_non_null_type(item),
                nodes,
                parent,
                name,
            )
        if is_leaf_type(type_):
            return complete.leaf(leaf_serializer(type_))
        if is_object_type(type_):
            return self.object_completer(type_, nodes)
        raise Unsupported(f"abstract type {type_}")

    def object_completer(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> Completer:
        if type_.is_type_of is not None:
            raise Unsupported(f"{type_.name} checks is_type_of")
        grouped = collect_fields(
            self.schema,
            type_,
            [n.selection_set for n in nodes if n.selection_set],
            self.fragments,
            self.conditions,
        )
        return complete.object_of(
            tuple(self.entry(self.site(type_, key, sub)) for key, sub in grouped.items())
        )

    def entry(self, site: FieldSite) -> complete.Entry:
        if site.field is TypeNameMetaFieldDef:
            typename = site.parent.name
            return complete.value_entry(site, lambda _: typename)
        definition = field_definition(site.field)
        if definition is None:
            raise Unsupported(f"{site.parent.name}.{site.nodes[0].name.value} is not Strawberry's")
        if definition.is_basic_field:
            return complete.value_entry(site, self.getter(definition.python_name))
        if definition.base_resolver is None and len(definition.extensions) == 1:
            permissions = context_permissions(definition.extensions[0])
            if permissions is not None:
                return complete.permitted_entry(
                    site, self.getter(definition.python_name), permissions
                )
        if definition.is_async or not all(e.supports_sync for e in definition.extensions):
            # Below the root, a plan completes synchronously; an async resolver needs graphql-core.
            raise Unsupported(f"async resolver {site.parent.name}.{site.nodes[0].name.value}")
        resolver = definition.base_resolver
        if (
            resolver is not None
            and not definition.extensions
            and resolver.info_parameter is None
            and all(is_leaf_type(get_nullable_type(a.type)) for a in site.field.args.values())
        ):
            return complete.direct_entry(
                site, resolver, _source_as(resolver), self.argument_converter(definition)
            )
        return complete.resolver_entry(site)

    def getter(self, python_name: str) -> complete.Getter:
        default_resolver = self.config.default_resolver
        if default_resolver is getattr:
            return attrgetter(python_name)
        return lambda source: default_resolver(source, python_name)

    def argument_converter(self, definition: StrawberryField) -> Prepare:
        # Scalar arguments only (checked by the caller): converting them once per request
        # cannot hand two objects one mutable value.
        arguments, config, scalars = definition.arguments, self.config, self.scalars
        return lambda raw: convert_arguments(raw, arguments, scalar_registry=scalars, config=config)


def _source_as(resolver: StrawberryResolver[Any]) -> complete.SourceAs:
    # Strawberry passes the object as ``self``, and by name to ``root``/``parent`` parameters.
    named = (resolver.parent_parameter, resolver.root_parameter)
    return complete.SourceAs(
        resolver.self_parameter is not None, tuple(p.name for p in named if p is not None)
    )


def _serializers(type_: GraphQLOutputType) -> Mapping[type[Any], Callable[[Any], Any]]:
    leaf = get_nullable_type(type_)
    return exact_serializers(leaf) if is_leaf_type(leaf) else MappingProxyType({})


def _passthrough(type_: GraphQLOutputType) -> frozenset[type[Any]]:
    """Values the response holds exactly as found: null where allowed, and verbatim leaves."""
    if isinstance(type_, GraphQLNonNull):
        inner = type_.of_type
        return passthrough_types(inner) if is_leaf_type(inner) else frozenset()
    kinds = passthrough_types(type_) if is_leaf_type(type_) else frozenset()
    return kinds | {NoneType}
