"""Coercions from upstream values to the internal model's types, configured per field.

Each builder returns a function that takes the raw value (never None) and returns the typed
value or raises ``ValueError`` with a message fit for a client's error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from datasources.model.fields import FieldSpec
from datasources.model.models import ScalarKind

Coercer = Callable[[Any], Any]


def build_coercer(kind: ScalarKind, spec: FieldSpec) -> Coercer:
    """The coercion for a model field of ``kind`` read as ``spec`` describes."""
    if kind == "string":
        return _string(spec)
    if kind == "int":
        return _int(spec)
    if kind == "decimal":
        return _decimal(spec)
    if kind == "bool":
        return _bool(spec)
    if kind == "date":
        return _date(spec)
    if kind == "datetime":
        return _datetime(spec)
    raise ValueError(f"no scalar coercion for {kind!r}")


def native_coercion(kind: ScalarKind, spec: FieldSpec) -> tuple[type[Any], Coercer] | None:
    """A shortcut for the values most upstreams send: their exact type, and a builtin that
    coerces them as ``build_coercer``'s function would (never failing)."""
    if kind == "string" and spec.values is None:
        return str, str.strip if spec.trim else str
    if kind == "int" and spec.major_to_minor is None:
        return int, int
    if kind == "bool":
        return bool, bool
    return None


def _text(value: Any, spec: FieldSpec, expected: str) -> str:
    if isinstance(value, str):
        return value.strip() if spec.trim else value
    raise ValueError(f"expected {expected}, found {_describe(value)}")


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _string(spec: FieldSpec) -> Coercer:
    def coerce(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(f"expected text, found {_describe(value)}")
        text = str(value)
        text = text.strip() if spec.trim else text
        return words.get(text, text)

    words = spec.values or {}
    return coerce


def _number_text(value: Any, spec: FieldSpec) -> str:
    text = _text(value, spec, "a number")
    if spec.thousands_separator:
        text = text.replace(spec.thousands_separator, "")
    if spec.decimal_separator != ".":
        text = text.replace(spec.decimal_separator, ".")
    return text


def _decimal_of(value: Any, spec: FieldSpec) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found {_describe(value)}")
    if isinstance(value, int | float):
        return Decimal(str(value))
    try:
        return Decimal(_number_text(value, spec))
    except InvalidOperation:
        raise ValueError(f"expected a number, found {value!r}") from None


def _int(spec: FieldSpec) -> Coercer:
    scale = Decimal(10) ** (spec.major_to_minor or 0)

    def coerce(value: Any) -> int:
        if type(value) is int and spec.major_to_minor is None:
            return value
        number = _decimal_of(value, spec) * scale
        if number != number.to_integral_value():
            raise ValueError(f"expected a whole number, found {value!r}")
        return int(number)

    return coerce


def _decimal(spec: FieldSpec) -> Coercer:
    def coerce(value: Any) -> Decimal:
        return _decimal_of(value, spec)

    return coerce


def _bool(spec: FieldSpec) -> Coercer:
    truthy = {v.lower() for v in spec.true_values}
    falsy = {v.lower() for v in spec.false_values}

    def coerce(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        text = _text(value, spec, "a boolean").lower()
        if text in truthy:
            return True
        if text in falsy:
            return False
        raise ValueError(f"expected one of {', '.join(sorted(truthy | falsy))}, found {value!r}")

    return coerce


def _date(spec: FieldSpec) -> Coercer:
    fmt = spec.format

    def coerce(value: Any) -> date:
        text = _text(value, spec, "a date")
        try:
            if fmt:
                return datetime.strptime(text, fmt).date()
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"expected a date ({fmt or 'ISO 8601'}), found {value!r}") from None

    return coerce


def _datetime(spec: FieldSpec) -> Coercer:
    fmt = spec.format

    def coerce(value: Any) -> datetime:
        text = _text(value, spec, "a date and time")
        try:
            parsed = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"expected a date and time ({fmt or 'ISO 8601'}), found {value!r}"
            ) from None
        # Upstreams that omit the offset mean UTC in every API we have met.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    return coerce
