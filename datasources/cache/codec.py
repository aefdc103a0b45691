"""Compact bytes for cached records: orjson of the model dataclasses, and back.

A record becomes a JSON object of its non-null fields (``!`` holds its issues); an entity a
customer has many of becomes a list of them; an unknown customer is ``null``. Field names,
not positions, are written, so replicas running a model with one more field still read each
other's entries. Dates, datetimes and decimals are strings, typed again from the model's
annotations on the way back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

import orjson

from datasources.model import ENTITY_IS_LIST, ENTITY_MODELS, NO_ISSUES, model_fields

_ISSUES: Final = "!"

# Per model (an entity's and its item models'): field name -> reader of its plain value.
_Readers = dict[type[Any], dict[str, Callable[[Any], Any]]]


class CacheDecodeError(ValueError):
    """A cached value does not fit the model: written by another version, or corrupt."""


class RecordCodec:
    """Encodes and decodes one entity's cached values (a record, a tuple of them, or None)."""

    def __init__(self, entity: str) -> None:
        self._model = ENTITY_MODELS[entity]
        self._is_list = ENTITY_IS_LIST[entity]
        self._readers = _readers_for(self._model)

    def encode(self, value: Any, stored_at: float) -> bytes:
        """``value`` as written at ``stored_at`` (seconds since the epoch)."""
        if value is None or not self._is_list:
            payload = _plain(value)
        else:
            payload = [_plain(v) for v in value]
        return orjson.dumps([stored_at, payload])

    def decode(self, data: bytes) -> tuple[Any, float]:
        """The value and the time it was stored; ``CacheDecodeError`` when it does not fit."""
        try:
            stored_at, payload = orjson.loads(data)
            if payload is None:
                return None, float(stored_at)
            if self._is_list:
                items = tuple(_build(self._readers, self._model, item) for item in payload)
                return items, float(stored_at)
            return _build(self._readers, self._model, payload), float(stored_at)
        except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
            raise CacheDecodeError(f"undecodable cache entry: {exc}") from None


def _build(readers: _Readers, model: type[Any], data: Mapping[str, Any]) -> Any:
    fields = readers[model]
    values = {name: fields[name](value) for name, value in data.items() if name != _ISSUES}
    issues = data.get(_ISSUES)
    return model(**values, issues=MappingProxyType(dict(issues)) if issues else NO_ISSUES)


def _plain(record: Any) -> Any:
    if record is None:
        return None
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if f.name == "issues":
            if value:
                out[_ISSUES] = dict(value)
        elif isinstance(value, tuple):
            out[f.name] = [_plain(item) for item in value]
        elif isinstance(value, Decimal):
            out[f.name] = str(value)
        elif value is not None:
            out[f.name] = value
    return out


def _readers_for(model: type[Any]) -> _Readers:
    readers: _Readers = {}
    pending = [model]
    while pending:
        current = pending.pop()
        fields: dict[str, Any] = {}
        for field in model_fields(current).values():
            if field.kind == "list" and field.item_model is not None:
                item_model = field.item_model
                pending.append(item_model)
                fields[field.name] = _list_reader(readers, item_model)
            else:
                fields[field.name] = _SCALAR_READERS.get(field.kind, _same)
        readers[current] = fields
    return readers


def _list_reader(readers: _Readers, item_model: type[Any]) -> Any:
    def read(items: list[Mapping[str, Any]]) -> tuple[Any, ...]:
        return tuple(_build(readers, item_model, item) for item in items)

    return read


def _same(value: Any) -> Any:
    return value


_SCALAR_READERS: Final = {
    "date": date.fromisoformat,
    "datetime": datetime.fromisoformat,
    "decimal": Decimal,
}
