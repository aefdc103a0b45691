"""Parsing and validating request parameters; every problem becomes a BadRequest (HTTP 400)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Collection
from datetime import datetime

from starlette.datastructures import QueryParams


class BadRequest(Exception):
    """The request is malformed; the message tells the client what to fix."""


def split_list(value: str) -> list[str]:
    """Split a comma list, trimming blanks around items."""
    return [item.strip() for item in value.split(",")] if value.strip() else []


def batch_keys(
    keys: list[str], name: str, max_size: int, is_valid: Callable[[str], bool]
) -> list[str]:
    """Validate a batch of keys and return them deduplicated, in the order asked."""
    if not keys:
        raise BadRequest(f"{name} must list at least one key")
    if len(keys) > max_size:
        raise BadRequest(f"{name} lists {len(keys)} keys; at most {max_size} per request")
    bad = [key for key in keys if not is_valid(key)]
    if bad:
        raise BadRequest(f"malformed {name}: {', '.join(repr(key) for key in bad[:5])}")
    return list(dict.fromkeys(keys))


def required(query: QueryParams, name: str) -> str:
    """The value of a query parameter that must be present."""
    value = query.get(name)
    if value is None:
        raise BadRequest(f"query parameter {name!r} is required")
    return value


def fields(query: QueryParams, allowed: Collection[str]) -> frozenset[str] | None:
    """The sparse fieldset asked for with `fields=a,b`, or None for all fields."""
    value = query.get("fields")
    if value is None:
        return None
    names = split_list(value)
    unknown = [name for name in names if name not in allowed]
    if unknown or not names:
        raise BadRequest(f"unknown fields {unknown}; known: {', '.join(allowed)}")
    return frozenset(names)


def integer(query: QueryParams, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]."""
    value = query.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, got {number}")
    return number


def timestamp(query: QueryParams, name: str) -> datetime | None:
    """An ISO 8601 date-time with `Z` or an offset; a bare local time is ambiguous, so refused."""
    value = query.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 date-time, got {value!r}") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name} must include a timezone (Z or +hh:mm), got {value!r}")
    return moment


def encode_cursor(position: int) -> str:
    """An opaque cursor for a position in an ordered listing."""
    return base64.urlsafe_b64encode(f"after:{position}".encode()).decode().rstrip("=")


def decode_cursor(query: QueryParams) -> int:
    """The position a `cursor` parameter stands for; 0 when absent."""
    value = query.get("cursor")
    if value is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        prefix, _, position = text.partition(":")
        if prefix != "after" or not position.isdigit():
            raise ValueError(text)
        return int(position)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(f"invalid cursor {value!r}") from None
