"""How big an operation is (tokens, depth, aliases, cost), measured before it runs.

Cost counts every field once per object it is resolved on: a field whose ``first``, ``last`` or
``ids`` argument asks for N items (or whose list ``input`` writes N) multiplies the cost of
what is selected under it by N. The measures are taken on the operation with fragments
expanded, but each fragment is measured once and reused, so a document of nested fragments
cannot make the measuring itself slow.
They are taken before validation, on the document as sent, so the walk needs no schema and
stops at ``MAX_MEASURED_DEPTH``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
)
from graphql.language import Lexer, Source, TokenKind

from auth import MAX_MEASURED_DEPTH, QueryMeasures
from core import QueryLimitExceeded

# Arguments whose value says how many items a field returns (``representations``: the
# federation's ``_entities``) or, for a mutation's list ``input``, how many it writes.
_SIZE_ARGUMENTS = ("first", "last", "ids", "representations", "input")

# Fragments spread inside fragments this deep are no query anyone writes; refusing them keeps
# the walk within the interpreter's stack (spreads add no depth, so max_depth cannot).
MAX_FRAGMENT_NESTING = 50

_NOTHING = QueryMeasures(depth=0, aliases=0, largest_list=0, cost=0)


def count_tokens(query: str, stop_after: int) -> int:
    """Lexical tokens in ``query``, counting no further than ``stop_after + 1``."""
    lexer = Lexer(Source(query))
    count = 0
    try:
        while lexer.advance().kind != TokenKind.EOF:
            count += 1
            if count > stop_after:
                break
    except GraphQLSyntaxError:
        pass  # the parser reports it properly
    return count


def measure(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> QueryMeasures:
    """The measures of the operation that will run (the largest one if that is ambiguous).

    The walk stops below ``MAX_MEASURED_DEPTH``: a deeper operation is over any depth limit
    whatever else it measures. Fragments nested deeper than ``MAX_FRAGMENT_NESTING`` raise
    ``QueryLimitExceeded``. Either way a crafted document cannot exhaust the stack.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    results = []
    for operation in operations:
        values = _variable_values(operation, variables or {})
        walker = _Walker(fragments, values)
        results.append(walker.selection_set(operation.selection_set, 1, frozenset()))
    if not results:
        return _NOTHING
    return QueryMeasures(
        depth=max(r.depth for r in results),
        aliases=max(r.aliases for r in results),
        largest_list=max(r.largest_list for r in results),
        cost=max(r.cost for r in results),
    )


def _variable_values(
    operation: OperationDefinitionNode, given: Mapping[str, Any]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in given:
            values[name] = given[name]
        elif definition.default_value is not None:
            values[name] = _literal_size(definition.default_value, {})
    return values


def _literal_size(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return list(node.values)
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    return None


def _size(field: FieldNode, variables: Mapping[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value not in _SIZE_ARGUMENTS:
            continue
        value = _literal_size(argument.value, variables)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return max(value, 0)
        if isinstance(value, list | tuple):
            return len(value)
    return 1


class _Walker:
    """Measures selection sets; fragment measures are computed once (cost is linear in
    the multiplier, so a fragment's unit cost scales to every place it is spread)."""

    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._fragments = fragments
        self._variables = variables
        self._memo: dict[str, QueryMeasures] = {}

    def selection_set(
        self, selection_set: SelectionSetNode | None, level: int, spreading: frozenset[str]
    ) -> QueryMeasures:
        """The measures of the fields of ``selection_set``, which sit at depth ``level``."""
        if selection_set is None:
            return _NOTHING
        if level > MAX_MEASURED_DEPTH:
            # Too deep already: one more level is all the depth check needs to know.
            return QueryMeasures(depth=1, aliases=0, largest_list=0, cost=0)
        depth = aliases = largest = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set, level + 1, spreading)
                depth = max(depth, inner.depth + 1)
                size = _size(selection, self._variables)
                largest = max(largest, size, inner.largest_list)
                # Aliases widen the document, not the data: they count once per occurrence.
                aliases += (selection.alias is not None) + inner.aliases
                cost += 1 + size * inner.cost
            else:
                if isinstance(selection, InlineFragmentNode):
                    inner = self.selection_set(selection.selection_set, level, spreading)
                elif isinstance(selection, FragmentSpreadNode):
                    inner = self._fragment(selection.name.value, level, spreading)
                else:
                    continue
                depth = max(depth, inner.depth)
                largest = max(largest, inner.largest_list)
                aliases += inner.aliases
                cost += inner.cost
        return QueryMeasures(depth, aliases, largest, cost)

    def _fragment(self, name: str, level: int, spreading: frozenset[str]) -> QueryMeasures:
        found = self._memo.get(name)
        if found is not None:
            return found
        fragment = self._fragments.get(name)
        # Validation rejects unknown and cyclic fragments; the guard keeps the walk finite.
        if fragment is None or name in spreading:
            return _NOTHING
        if len(spreading) >= MAX_FRAGMENT_NESTING:
            raise QueryLimitExceeded(
                f"fragments are nested more than {MAX_FRAGMENT_NESTING} deep",
                limit="fragmentNesting",
                maximum=MAX_FRAGMENT_NESTING,
                actual=len(spreading) + 1,
            )
        # Memoized at the level of its first spread: if that walk was cut short, the
        # operation is over its depth limit, and the depth check refuses it first.
        found = self._memo[name] = self.selection_set(
            fragment.selection_set, level, spreading | {name}
        )
        return found
