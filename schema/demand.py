"""Which sources an operation needs, and which model fields of each, before anything loads.

The whole operation is walked once, through the one selection collector
(``schema/selections.py``) with the request's ``@skip``/``@include`` values, so every root
field shares one loader (and one batch) per source and exactly the sources the response will
read are called, in one round. What each GraphQL field reads comes from the types
(``schema/reads.py``). The result is kept per operation and condition values: a query seen
before is planned by one lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import strawberry
from cachetools import LRUCache
from graphql import (
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
)

from datasources import Wanted
from resolvers import RequestContext
from schema.internals import graphql_schema, raw_info
from schema.reads import ReadsTable, reads_table
from schema.selections import collect_fields, condition_variables

# Entity -> the model fields of it the operation reads.
Demand = dict[str, set[str]]

DEFAULT_MAX_OPERATIONS: Final = 1024


class DemandPlanner:
    """Plans the operations of one schema, keeping the demand of the ones seen."""

    def __init__(self, schema: strawberry.Schema, max_operations: int = DEFAULT_MAX_OPERATIONS):
        self._schema: GraphQLSchema | None = None
        self._strawberry = schema
        self._table: ReadsTable | None = None
        # Keyed by the operation node's identity; the node is kept with what is known of it,
        # so the identity cannot be reused while the entry lives.
        self._conditions: LRUCache[int, tuple[Any, tuple[str, ...]]] = LRUCache(max_operations)
        self._known: LRUCache[tuple[int, tuple[Any, ...]], tuple[Any, Demand]] = LRUCache(
            max_operations
        )

    def wanted(self, info: strawberry.Info[RequestContext, None]) -> Wanted:
        """The sources to call for this operation, each with the model fields wanted."""
        context = info.context
        if context.wanted is None:
            context.wanted = context.sources.wanted(self.demand(info))
        return context.wanted

    def demand(self, info: strawberry.Info[Any, Any]) -> Demand:
        """The entity fields the operation reads, at any depth, through fragments."""
        operation = info.operation
        fragments = raw_info(info).fragments
        named = self._conditions.get(id(operation))
        if named is None or named[0] is not operation:
            names = condition_variables([operation, *fragments.values()])
            named = self._conditions[id(operation)] = (operation, names)
        values = info.variable_values
        # A condition that is not a boolean is left undecided: its selection is included.
        conditions = {n: values[n] for n in named[1] if isinstance(values.get(n), bool)}
        key = (id(operation), tuple(conditions.items()))
        found = self._known.get(key)
        if found is not None and found[0] is operation:
            return found[1]
        schema, table = self._prepared()
        root = schema.get_root_type(operation.operation)
        demand: Demand = {}
        if root is not None:
            walk = _Walk(schema, table, fragments, conditions, demand)
            walk.selections(root, [operation.selection_set])
        self._known[key] = (operation, demand)
        return demand

    def _prepared(self) -> tuple[GraphQLSchema, ReadsTable]:
        # Built on first use: the schema is complete only once Strawberry's constructor ran.
        if self._schema is None or self._table is None:
            self._schema = graphql_schema(self._strawberry)
            self._table = reads_table(self._strawberry)
        return self._schema, self._table


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        table: ReadsTable,
        fragments: Mapping[str, FragmentDefinitionNode],
        conditions: Mapping[str, bool],
        demand: Demand,
    ) -> None:
        self._schema = schema
        self._table = table
        self._fragments = fragments
        self._conditions = conditions
        self._demand = demand
        # Demand is a union: a type and set of selections walked once is walked enough.
        self._seen: set[tuple[str, tuple[int, ...]]] = set()

    def selections(self, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> None:
        seen = (parent.name, tuple(map(id, selection_sets)))
        if seen in self._seen:
            return
        self._seen.add(seen)
        grouped = collect_fields(
            self._schema, parent, selection_sets, self._fragments, self._conditions, lenient=True
        )
        for nodes in grouped.values():
            name = nodes[0].name.value
            read = self._table.get((parent.name, name))
            if read is not None:
                self._demand.setdefault(read[0], set()).update(read[1])
            field = parent.fields.get(name)
            inner = [n.selection_set for n in nodes if n.selection_set is not None]
            if field is None or not inner:
                continue
            for runtime in self._runtime_types(get_named_type(field.type)):
                self.selections(runtime, inner)

    def _runtime_types(self, type_: Any) -> Iterable[GraphQLObjectType]:
        if is_object_type(type_):
            return (type_,)
        if is_abstract_type(type_):
            return self._schema.get_possible_types(type_)
        return ()
