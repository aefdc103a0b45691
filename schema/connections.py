"""Relay connections: the Cursor Connections Specification's ``PageInfo`` and its
pagination algorithm over a sequence held in full (``first`` and ``last`` are checked by
``resolvers.check_page_size``, for every connection).

https://relay.dev/graphql/connections.htm
"""

from __future__ import annotations

from dataclasses import dataclass

import strawberry


@strawberry.type(description="Where a page sits in its connection (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="With first: more edges follow this page. With last and before: edges "
        "exist from before on. Otherwise false."
    )
    has_previous_page: bool = strawberry.field(
        description="With last: more edges precede this page. With first and after: edges "
        "exist up to after. Otherwise false."
    )
    start_cursor: str | None = strawberry.field(
        description="The first edge's cursor; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor; null when the page is empty."
    )


@dataclass(frozen=True, slots=True)
class Window:
    """The edges ``start`` up to ``stop`` of a connection, and what lies around them."""

    start: int
    stop: int
    has_previous_page: bool
    has_next_page: bool


def window(
    count: int, first: int | None, last: int | None, after: int | None, before: int | None
) -> Window:
    """The spec's pagination algorithm over ``count`` edges; ``after`` and ``before`` are
    the positions their cursors name (checked by the caller), ``first``/``last`` are not
    negative."""
    # ApplyCursorsToEdges: a cursor past the end cuts nothing off.
    start = min(after + 1, count) if after is not None else 0
    stop = max(min(before, count), start) if before is not None else count
    between = stop - start
    # "whether more edges exist prior to (following) the set defined by the client's
    # arguments": known exactly here, so answered even when the spec lets it be false.
    has_next = stop < count if before is not None else False
    has_previous = start > 0 if after is not None else False
    if first is not None:
        has_next = between > first
        stop = min(stop, start + first)
    if last is not None:
        has_previous = between > last
        start = max(start, stop - last)
    return Window(start, stop, has_previous, has_next)
