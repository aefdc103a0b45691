"""Response paths and field errors, recorded exactly as graphql-core records them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from graphql import FieldNode, GraphQLError, located_error
from graphql.pyutils import Path

# A response position as a linked tuple (previous, key, typename), the layout of graphql-core's
# Path; plain tuples cost a tenth of a Path to create, and most are never looked at.
Position: TypeAlias = "tuple[Position | None, str | int, str | None] | None"


def path_list(position: Position) -> list[str | int]:
    """The response path of ``position`` as it appears in an error."""
    keys: list[str | int] = []
    while position is not None:
        keys.append(position[1])
        position = position[0]
    keys.reverse()
    return keys


def graphql_path(position: Position) -> Path | None:
    """``position`` as the Path graphql-core gives resolvers in their info."""
    if position is None:
        return None
    return Path(graphql_path(position[0]), position[1], position[2])


def locate(raw: Exception, nodes: Sequence[FieldNode], position: Position) -> GraphQLError:
    """The error a client sees for ``raw`` raised or returned at ``position``."""
    return located_error(raw, nodes, path_list(position))


class FieldErrors:
    """The operation's field errors, in the order they happened.

    graphql-core drops an error whose position, or an ancestor's, was already nulled. Below
    the root a plan completes synchronously, so nothing runs under a nulled position; only
    root fields left running after the whole response was nulled can still fail, and those
    errors are dropped.
    """

    __slots__ = ("errors", "response_nulled")

    def __init__(self) -> None:
        self.errors: list[GraphQLError] = []
        self.response_nulled = False

    def add(self, error: GraphQLError, position: Position) -> None:
        if self.response_nulled:
            return
        self.response_nulled = position is None
        self.errors.append(error)
