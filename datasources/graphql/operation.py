"""The upstream operation for a set of model fields: only the upstream fields their paths name,
nested as the paths are, in one document per field set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from datasources.config import GraphQLRequest
from datasources.model import FieldSpec

# The operation's name, as the upstream's logs and traces show it.
OPERATION_NAME = "CustomerGraphBatch"

# Upstream field name -> the selection under it (empty for a leaf).
_Tree = dict[str, "_Tree"]


def field_paths(specs: Mapping[str, FieldSpec]) -> dict[str, tuple[str, ...]]:
    """Each model field's upstream paths: its own, and for a list its items' under it."""
    paths: dict[str, tuple[str, ...]] = {}
    for name, spec in specs.items():
        if spec.fields:
            items = field_paths(spec.fields)
            paths[name] = tuple(f"{spec.path}.{p}" for ps in items.values() for p in ps)
        else:
            paths[name] = (spec.path,)
    return paths


def render(paths: Iterable[str]) -> str:
    """A selection set's contents for dotted paths: ``a.b`` and ``a.c`` give ``a { b c }``."""
    tree: _Tree = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return _render(tree) or "__typename"


def _render(tree: _Tree) -> str:
    return " ".join(
        f"{name} {{ {_render(sub)} }}" if sub else name for name, sub in sorted(tree.items())
    )


class OperationBuilder:
    """Builds, once per field set, the document that asks for those fields of many customers."""

    def __init__(self, request: GraphQLRequest, specs: Mapping[str, FieldSpec]) -> None:
        self._request = request
        self._paths = field_paths(specs)
        self._documents: dict[frozenset[str] | None, str] = {}

    @property
    def root(self) -> str:
        """The root field whose value holds the answer."""
        request = self._request
        return "_entities" if request.operation == "entities" else request.field or ""

    def document(self, fields: frozenset[str] | None) -> str:
        """The document for ``fields`` (None: every mapped field)."""
        found = self._documents.get(fields)
        if found is None:
            found = self._documents[fields] = self._build(fields)
        return found

    def variables(self, keys: Sequence[str]) -> dict[str, Any]:
        """The variables that carry a batch's source keys."""
        request = self._request
        if request.operation == "entities":
            return {
                "representations": [
                    {"__typename": request.typename, request.key_field: key} for key in keys
                ]
            }
        return {"keys": list(keys)}

    def _build(self, fields: frozenset[str] | None) -> str:
        request = self._request
        wanted = (
            self._paths
            if fields is None
            else {f: self._paths[f] for f in fields if f in self._paths}
        )
        paths = [p for ps in wanted.values() for p in ps]
        if request.operation == "list":
            # The record's key says whose it is; it is asked for whatever else is.
            assert request.key is not None
            selection = render([*paths, request.key])
            return (
                f"query {OPERATION_NAME}($keys: {request.argument_type}) "
                f"{{ {request.field}({request.argument}: $keys) {{ {selection} }} }}"
            )
        selection = render(paths)
        if request.field is not None:
            selection = f"{request.field} {{ {selection} }}"
        return (
            f"query {OPERATION_NAME}($representations: [_Any!]!) "
            f"{{ _entities(representations: $representations) "
            f"{{ ... on {request.typename} {{ {selection} }} }} }}"
        )
