"""Map one upstream record onto an internal model dataclass, field by field.

A value that fails its coercion, or a required value that is absent, leaves that field
None and records the reason in the instance's ``issues``; the rest of the record stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import jmespath

from datasources.coerce import build_coercer
from datasources.config import FieldSpec
from datasources.config_rules import PLAIN_PATH
from datasources.models import NO_ISSUES, model_fields

Getter = Callable[[Any], Any]


def compile_path(path: str) -> Getter:
    """A getter for a JMESPath expression; dotted identifiers skip the JMESPath interpreter."""
    if PLAIN_PATH.fullmatch(path):
        keys = path.split(".")
        if len(keys) == 1:
            key = keys[0]
            return lambda record: record.get(key) if isinstance(record, dict) else None

        def walk(record: Any) -> Any:
            for k in keys:
                if not isinstance(record, dict):
                    return None
                record = record.get(k)
            return record

        return walk
    return jmespath.compile(path).search


def root_attributes(path: str) -> set[str]:
    """The top-level record attributes an expression reads, for sparse fieldsets."""
    found: set[str] = set()

    def visit(node: dict[str, Any]) -> None:
        kind = node["type"]
        if kind == "field":
            found.add(node["value"])
        elif kind in ("subexpression", "index_expression", "projection", "value_projection"):
            # Only the left side is read from the record itself.
            if node["children"]:
                visit(node["children"][0])
        elif kind not in ("current", "literal", "identity"):
            for child in node.get("children", []):
                if isinstance(child, dict):
                    visit(child)

    visit(dict(jmespath.compile(path).parsed))
    return found


class _FieldReader:
    __slots__ = ("coerce", "get", "items", "name", "required")

    def __init__(self, name: str, spec: FieldSpec, kind: str, item_model: type[Any] | None):
        self.name = name
        self.get = compile_path(spec.path)
        self.required = spec.required
        self.items = RecordMapper(item_model, spec.fields or {}) if item_model is not None else None
        self.coerce = build_coercer(kind, spec) if item_model is None else None  # type: ignore[arg-type]


class RecordMapper:
    """Builds instances of ``model`` from raw records as the field specs describe."""

    def __init__(self, model: type[Any], specs: Mapping[str, FieldSpec]) -> None:
        known = model_fields(model)
        self.model = model
        self._readers = [
            _FieldReader(name, spec, known[name].kind, known[name].item_model)
            for name, spec in specs.items()
        ]
        self._subsets: dict[frozenset[str], list[_FieldReader]] = {}
        self._attributes = {
            name: set(spec.attributes)
            if spec.attributes is not None
            else root_attributes(spec.path)
            for name, spec in specs.items()
        }

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset(self._attributes)

    def attributes_for(self, fields: Iterable[str]) -> set[str]:
        """The upstream attributes needed to fill ``fields`` (unmapped fields need none)."""
        needed: set[str] = set()
        for name in fields:
            needed |= self._attributes.get(name, set())
        return needed

    def map(self, raw: Any, fields: frozenset[str] | None = None) -> Any:
        """One model instance; invalid fields are None and named in ``issues``.

        With ``fields``, only those are read: an upstream asked for a sparse fieldset must
        not be blamed for the required fields it was not asked for.
        """
        readers = self._readers if fields is None else self._subset(fields)
        values: dict[str, Any] = {}
        issues: dict[str, str] | None = None
        for reader in readers:
            value = reader.get(raw)
            if value is None or value == "":
                if reader.required:
                    issues = issues or {}
                    issues[reader.name] = "required value is missing"
                continue
            try:
                if reader.items is not None:
                    values[reader.name] = self._map_items(reader.items, value)
                else:
                    values[reader.name] = reader.coerce(value)  # type: ignore[misc]
            except ValueError as exc:
                issues = issues or {}
                issues[reader.name] = str(exc)
        values["issues"] = MappingProxyType(issues) if issues else NO_ISSUES
        return self.model(**values)

    def _subset(self, fields: frozenset[str]) -> list[_FieldReader]:
        readers = self._subsets.get(fields)
        if readers is None:
            readers = self._subsets[fields] = [r for r in self._readers if r.name in fields]
        return readers

    @staticmethod
    def _map_items(items: RecordMapper, value: Any) -> tuple[Any, ...]:
        # XML has no way to say "a list of one": a single child arrives as an object.
        seq = value if isinstance(value, list) else [value]
        return tuple(items.map(v) for v in seq)
