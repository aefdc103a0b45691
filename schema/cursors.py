"""Opaque connection cursors: a versioned, URL-safe base64 of a typed JSON tuple.

A cursor names one edge of one connection, so that ``after`` resumes right past it. The
tuple starts with the format version and the connection's kind; a cursor of another kind,
of a customer other than the one whose orders are read, or not made here at all is
refused with ``BAD_USER_INPUT`` naming the argument. A cursor only locates an edge in a
connection the caller is already reading: what it may see is decided before any cursor is
read.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Final

import orjson

from core import BadUserInput
from resolvers import ListingPosition

VERSION: Final = 1
# Far above any cursor made here (an upstream's own cursor included), far below a flood.
MAX_CURSOR_LENGTH: Final = 1024


def order_cursor(customer_id: str, offset: int) -> str:
    """The cursor of the order at ``offset`` (newest first) of that customer's orders."""
    return _encode(["orders", customer_id, offset])


def order_offset(cursor: str, argument: str, customer_id: str) -> int:
    """The offset an ``order_cursor`` of this customer names."""
    match _decode(cursor, argument):
        case ["orders", str(owner), int(offset)] if owner == customer_id and offset >= 0:
            return offset
    raise _invalid(argument, "a cursor of this customer's orders")


def listing_cursor(position: ListingPosition, updated_since: datetime | None) -> str:
    """The cursor that resumes the customer listing at ``position``. It holds the listing's
    filter: skipping a page's first customers means something only in the same listing."""
    since = updated_since.isoformat() if updated_since is not None else None
    return _encode(["customers", since, position.page_cursor, position.skip])


def listing_position(cursor: str, argument: str, updated_since: datetime | None) -> ListingPosition:
    """The position a ``listing_cursor`` of the listing with this filter names."""
    since = updated_since.isoformat() if updated_since is not None else None
    match _decode(cursor, argument):
        case ["customers", str() | None as filtered, str() | None as page_cursor, int(skip)]:
            if filtered != since:
                raise BadUserInput(
                    f"{argument} is a cursor of customerList with another updatedSince"
                )
            if skip >= 0:
                return ListingPosition(page_cursor, skip)
    raise _invalid(argument, "a cursor of customerList")


def _encode(parts: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([VERSION, *parts])).rstrip(b"=").decode()


def _decode(cursor: str, argument: str) -> list[Any]:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid(argument, f"a cursor of at most {MAX_CURSOR_LENGTH} characters")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (ValueError, binascii.Error):
        raise _invalid(argument, "a cursor this API gave") from None
    # bool is an int to Python, never to a cursor made here.
    if not isinstance(value, list) or not value or value[0] != VERSION or _has_bool(value):
        raise _invalid(argument, "a cursor this API gave")
    return value[1:]


def _has_bool(values: list[Any]) -> bool:
    return any(isinstance(v, bool) for v in values)


def _invalid(argument: str, wanted: str) -> BadUserInput:
    return BadUserInput(f"{argument} must be {wanted}, from an edge's cursor or pageInfo")
