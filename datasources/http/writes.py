"""Writes: our model fields back to upstream attributes, as a source's ``update`` section says."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from core import BadRequest, BadUserInput
from datasources.config import SourceConfig, UpdateRequest
from datasources.model import ENTITY_MODELS, FieldSpec, model_fields

Encoder = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class UpstreamWrite:
    """One write request, ready to send."""

    method: str
    path: str
    content: bytes
    content_type: str


class UpdateTemplate:
    """Builds the upstream request that sets some of our model fields for one customer.

    Each field goes to the attribute its read path names (``a.b`` nests in JSON) in the
    form the source's mapping reads back; the config refuses fields where that is unclear.
    """

    def __init__(self, source: str, config: SourceConfig, update: UpdateRequest) -> None:
        known = model_fields(ENTITY_MODELS[config.entity])
        self._source = source
        self._update = update
        self._in_path = frozenset(
            p[1] for p in string.Formatter().parse(update.path) if p[1] not in (None, "key")
        )
        self._attributes = {name: config.fields[name].path.split(".") for name in update.fields}
        self._encoders = {
            name: _encoder(config.fields[name], known[name].kind, update.body)
            for name in update.fields
        }
        self._max_lengths = {
            name: longest
            for name in update.fields
            if (longest := known[name].max_length) is not None
        }

    def check(self, changes: Mapping[str, Any]) -> None:
        """BadRequest (BadUserInput for a value too long) if ``changes`` cannot be written."""
        unknown = sorted(set(changes) - set(self._encoders))
        if unknown:
            raise BadRequest(
                f"{', '.join(unknown)} cannot be changed at {self._source}; "
                f"writable: {', '.join(self._update.fields)}",
                source=self._source,
            )
        missing = sorted(self._in_path - set(changes))
        if missing:
            raise BadRequest(
                f"{', '.join(missing)} must be given to say which record to change",
                source=self._source,
            )
        cleared = sorted(name for name, value in changes.items() if value is None)
        if cleared:
            raise BadRequest(f"{', '.join(cleared)} cannot be cleared", source=self._source)
        for name, value in changes.items():
            longest = self._max_lengths.get(name)
            if longest is not None and isinstance(value, str) and len(value) > longest:
                raise BadUserInput(
                    f"{name} is {len(value)} characters long; at most {longest} are allowed",
                    source=self._source,
                )

    def build(self, source_key: str, changes: Mapping[str, Any]) -> UpstreamWrite:
        """The request setting ``changes`` (model field -> value); BadRequest if it cannot."""
        self.check(changes)
        values = {n: self._encoders[n](v) for n, v in changes.items() if n not in self._in_path}
        if not values:
            raise BadRequest("nothing to change", source=self._source)
        path = self._update.path.format(
            key=quote(source_key, safe=""),
            **{name: quote(str(changes[name]), safe="") for name in self._in_path},
        )
        if self._update.body == "form":
            content = urlencode(sorted(values.items())).encode()
            return UpstreamWrite(
                self._update.method, path, content, "application/x-www-form-urlencoded"
            )
        document: dict[str, Any] = {}
        for name, value in values.items():
            *parents, leaf = self._attributes[name]
            node = document
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = value
        content = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
        return UpstreamWrite(self._update.method, path, content, "application/json")


def idempotency_key(seed: str, source: str, write: UpstreamWrite) -> str:
    """The key sent with one write: the same seed gives the same key for the same target.

    The body is left out on purpose: a key reused with another body must reach the
    upstream as the same key, so that its own protection refuses it too.
    """
    digest = hashlib.sha256()
    for part in (seed, source, write.method, write.path):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _encoder(spec: FieldSpec, kind: str, body: str) -> Encoder:
    text = body == "form"
    if kind == "bool":
        # Written the way the source's own values read back, e.g. Y/N.
        yes, no = (spec.true_values[0], spec.false_values[0]) if text else (True, False)
        return lambda value: yes if value else no
    if kind in ("date", "datetime"):
        fmt = spec.format
        return lambda value: _moment(value, fmt)
    if kind == "int":
        return (lambda value: str(int(value))) if text else int
    return str


def _moment(value: date | datetime, fmt: str | None) -> str:
    return value.strftime(fmt) if fmt else value.isoformat()
