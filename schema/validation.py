"""Validation of each document once, with graphql-core's suggestions hidden when asked.

Strawberry's ``ValidationCache`` keeps one cache for every schema in the process and cannot
pass graphql-core's ``hide_suggestions``; this one belongs to the schema that made it. With
suggestions hidden ("Did you mean 'email'?" left out), a caller without introspection cannot
spell the schema out one guessed name at a time; the execution context below hides them from
variable and argument errors too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cachetools import LRUCache
from graphql import GraphQLError, validate

from schema.fastpath.prepared import PreparedExtension
from schema.internals import STRAWBERRY_RULES, StrawberryExecutionContext, graphql_schema

ValidationResults = LRUCache[tuple[str, tuple[type, ...]], list[GraphQLError]]


class CachedValidation(PreparedExtension):
    """Validates an operation's document, or finds it validated before in ``cache``; a
    prepared operation was validated when first seen, so it has nothing to do there."""

    def __init__(self, cache: ValidationResults, *, hide_suggestions: bool) -> None:
        self._cache = cache
        self._hide = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            rules = (*context.validation_rules, *STRAWBERRY_RULES)
            key = (context.query, rules) if context.query is not None else None
            errors = self._cache.get(key) if key is not None else None
            if errors is None:
                schema = graphql_schema(context.schema)
                errors = validate(schema, document, rules, hide_suggestions=self._hide)
                if key is not None:
                    self._cache[key] = errors
            context.pre_execution_errors = errors
        yield


class SuggestionFreeExecutionContext(StrawberryExecutionContext):
    """Strawberry's execution context, coercing variables and arguments without suggestions."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        return super().build(*args, **{**kwargs, "hide_suggestions": True})
