"""What one execution of a plan keeps: its errors, its arguments and graphql-core's executor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import Executor, GraphQLResolveInfo
from graphql.execution import get_argument_values

from schema.fastpath.errors import FieldErrors, Position, graphql_path
from schema.fastpath.plan import FieldSite

# Turns a site's coerced GraphQL arguments into what its resolver is called with.
Prepare = Callable[[dict[str, Any]], dict[str, Any]]


class RequestState:
    """Per request; the executor built as Strawberry builds it gives resolvers the same info."""

    __slots__ = ("_arguments", "errors", "executor")

    def __init__(self, executor: Executor[Any]) -> None:
        self.executor = executor
        self.errors = FieldErrors()
        self._arguments: dict[FieldSite, dict[str, Any] | Exception] = {}

    def arguments(self, site: FieldSite, prepare: Prepare | None = None) -> dict[str, Any]:
        """The site's arguments, coerced (and prepared) once: they are the same for every
        object; a failure is raised again at each object, as graphql-core's would be."""
        found = self._arguments.get(site)
        if found is None:
            node = site.nodes[0]
            try:
                found = (
                    get_argument_values(
                        site.field,
                        node,
                        self.executor.variable_values,
                        None,
                        self.executor.hide_suggestions,
                    )
                    if site.field.args or node.arguments
                    else {}
                )
                if prepare is not None:
                    found = prepare(found)
            except Exception as exc:
                found = exc
            self._arguments[site] = found
        if isinstance(found, Exception):
            raise found
        return found

    def info(self, site: FieldSite, position: Position) -> GraphQLResolveInfo[Any]:
        return self.executor.build_resolve_info(
            site.field,
            site.nodes,
            site.parent,
            graphql_path(position),  # type: ignore[arg-type]
        )
