"""The completers a plan is built from: one small closure per type of each selected field.

They follow graphql-core's value completion step by step (an exception found as a value is
raised, null checks, list items, leaf serialization, sub-selections), minus the parts a plan
decides once: field collection, type lookups and the resolver to call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLField, GraphQLObjectType, GraphQLUnionType
from graphql.pyutils import Undefined, is_iterable
from strawberry.permission import PermissionExtension

from schema.fastpath.errors import Position, graphql_path, locate
from schema.fastpath.permissions import denied
from schema.fastpath.plan import Completer, FieldSite
from schema.fastpath.state import Prepare, RequestState
from schema.internals import field_details, is_cast

Getter = Callable[[Any], Any]
# A field of an object: (response key, getter or None for a resolver, types copied as they
# are, types serialized by one call, the boundary that completes anything else and handles
# its errors).
Entry = tuple[
    str,
    Getter | None,
    frozenset[type[Any]],
    Mapping[type[Any], Callable[[Any], Any]],
    Callable[[Any, Position, RequestState], Any],
]

_LISTS = (list, tuple)
# Where a Strawberry type's class keeps its definition.
_STRAWBERRY_DEFINITION = "__strawberry_definition__"


def leaf(serialize: Callable[[Any], Any]) -> Completer:
    def complete(value: Any, position: Position, state: RequestState) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        return serialize(value)

    return complete


def non_null(inner: Completer, parent: str, field: str) -> Completer:
    message = f"Cannot return null for non-nullable field {parent}.{field}."

    def complete(value: Any, position: Position, state: RequestState) -> Any:
        completed = inner(value, position, state)
        if completed is None:
            raise TypeError(message)
        return completed

    return complete


def list_of(
    item: Completer, item_non_null: bool, site_nodes: list[Any], parent: str, field: str
) -> Completer:
    message = f"Expected Iterable, but did not find one for field '{parent}.{field}'."

    def complete(value: Any, position: Position, state: RequestState) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        if type(value) not in _LISTS and not is_iterable(value):
            raise GraphQLError(message)
        completed: list[Any] = []
        append = completed.append
        for index, entry in enumerate(value):
            item_position = (position, index, None)
            try:
                append(item(entry, item_position, state))
            except Exception as raw:
                error = locate(raw, site_nodes, item_position)
                if item_non_null:
                    raise error from None
                state.errors.add(error, item_position)
                append(None)
        return completed

    return complete


def object_of(entries: tuple[Entry, ...]) -> Completer:
    def complete(value: Any, position: Position, state: RequestState) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        result = {}
        for key, get, passthrough, serializers, boundary in entries:
            if get is None:
                result[key] = boundary(value, position, state)
                continue
            try:
                field_value = get(value)
            except Exception as exc:
                # Raised or returned, graphql-core reports an exception the same way.
                field_value = exc
            kind = type(field_value)
            if kind in passthrough:
                result[key] = field_value
            elif kind in serializers:
                result[key] = serializers[kind](field_value)
            else:
                result[key] = boundary(field_value, position, state)
        return result

    return complete


def union_of(
    by_definition: Mapping[Any, Completer],
    by_name: Mapping[str, Completer],
    union: GraphQLUnionType,
    field: GraphQLField,
    parent: GraphQLObjectType,
    nodes: list[FieldNode],
) -> Completer:
    """A union's value completed as its runtime type's object.

    An instance of a member's own class (not cast) is that member, as Strawberry's union
    resolver decides; anything else asks that resolver, and graphql-core's own check of its
    answer, so every error reads as graphql-core's would.
    """
    details = field_details(nodes)

    def resolve(value: Any, position: Position, state: RequestState) -> Any:
        executor = state.executor
        path = graphql_path(position)
        assert path is not None
        info = executor.build_resolve_info(field, nodes, parent, path)
        assert union.resolve_type is not None
        name = union.resolve_type(value, info, union)
        if inspect.isawaitable(name):
            _discard(name)
            raise RuntimeError(f"{union.name} resolved a type asynchronously")
        runtime = executor.ensure_valid_runtime_type(name, union, details, info, value)
        return by_name[runtime.name](value, position, state)

    def complete(value: Any, position: Position, state: RequestState) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        known = by_definition.get(getattr(type(value), _STRAWBERRY_DEFINITION, None))
        if known is None or is_cast(value):
            return resolve(value, position, state)
        return known(value, position, state)

    return complete


def value_entry(site: FieldSite, get: Getter) -> Entry:
    """A field read from its object without a resolver call."""
    key, parent, complete, nodes, is_non_null = (
        site.key,
        site.parent.name,
        site.complete,
        site.nodes,
        site.non_null,
    )

    def boundary(value: Any, parent_position: Position, state: RequestState) -> Any:
        position = (parent_position, key, parent)
        try:
            return complete(value, position, state)
        except Exception as raw:
            return field_error(raw, nodes, position, is_non_null, state)

    return key, get, site.passthrough, site.serializers, boundary


def permitted_entry(site: FieldSite, get: Getter, extension: PermissionExtension) -> Entry:
    """A field read from its object once its permission classes allow it (permissions.py)."""

    def call(source: Any, position: Position, state: RequestState) -> Any:
        refused, value = denied(extension, source, state.executor.context_value)
        return value if refused else get(source)

    return _called_entry(site, call)


def resolver_entry(site: FieldSite) -> Entry:
    """A field whose Strawberry resolver and field extensions run as graphql-core runs them."""
    resolve = site.field.resolve
    assert resolve is not None

    def call(source: Any, position: Position, state: RequestState) -> Any:
        return resolve(source, state.info(site, position), **state.arguments(site))

    return _called_entry(site, call)


def direct_entry(
    site: FieldSite, resolver: Callable[..., Any], source_as: SourceAs, prepare: Prepare
) -> Entry:
    """A field whose resolver needs neither info nor extensions: its arguments are converted
    once per request (``prepare``), then it is called as Strawberry would call it."""
    by_name = source_as.keywords

    def call(source: Any, position: Position, state: RequestState) -> Any:
        kwargs = state.arguments(site, prepare)
        if by_name:
            kwargs = {**kwargs, **dict.fromkeys(by_name, source)}
        if source_as.positional:
            return resolver(source, **kwargs)
        return resolver(**kwargs)

    return _called_entry(site, call)


class SourceAs:
    """How a resolver receives its object: as ``self``, and/or by parameter name."""

    __slots__ = ("keywords", "positional")

    def __init__(self, positional: bool, keywords: tuple[str, ...]) -> None:
        self.positional = positional
        self.keywords = keywords


def _called_entry(site: FieldSite, call: Callable[[Any, Position, RequestState], Any]) -> Entry:
    key, parent, complete, nodes, is_non_null = (
        site.key,
        site.parent.name,
        site.complete,
        site.nodes,
        site.non_null,
    )
    passthrough, serializers = site.passthrough, site.serializers

    def boundary(source: Any, parent_position: Position, state: RequestState) -> Any:
        position = (parent_position, key, parent)
        try:
            value = call(source, position, state)
            kind = type(value)
            if kind in passthrough:
                return value
            if kind in serializers:
                return serializers[kind](value)
            if inspect.isawaitable(value):
                _discard(value)
                raise RuntimeError(f"{parent}.{nodes[0].name.value} returned an awaitable")
            return complete(value, position, state)
        except Exception as raw:
            return field_error(raw, nodes, position, is_non_null, state)

    return key, None, frozenset(), MappingProxyType({}), boundary


def field_error(
    raw: Exception, nodes: list[Any], position: Position, is_non_null: bool, state: RequestState
) -> None:
    """Locate ``raw``; null this field, or raise to null the nearest nullable parent."""
    error = locate(raw, nodes, position)
    if is_non_null:
        raise error from None
    state.errors.add(error, position)


def _discard(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
