"""Map one upstream record onto an internal model dataclass, field by field.

A value that fails its coercion, or a required value that is absent, leaves that field
None and records the reason in the instance's ``issues``; the rest of the record stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

import jmespath

from datasources.model.coerce import Coercer, build_coercer, native_coercion
from datasources.model.fields import PLAIN_PATH, FieldSpec
from datasources.model.models import NO_ISSUES, ScalarKind, model_fields

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


# One field of a mapping plan: model field name; the record key it reads when its path is a
# single key (otherwise None, and the getter reads it); the getter; whether it is required;
# a type whose values take the builtin that follows instead of the coercion (None: no
# shortcut, and the coercion follows); and the coercion, or the item mapping of a list.
_Step = tuple[str, str | None, Getter, bool, type[Any] | None, Coercer, Coercer]

# What a plain key reads in a record that is not an object: nothing, as the getters do.
_NOT_AN_OBJECT: Final[Mapping[str, Any]] = MappingProxyType({})


def _single_key(path: str) -> str | None:
    node = jmespath.compile(path).parsed
    return node["value"] if node["type"] == "field" else None


class RecordMapper:
    """Builds instances of ``model`` from raw records as the field specs describe."""

    def __init__(self, model: type[Any], specs: Mapping[str, FieldSpec]) -> None:
        known = model_fields(model)
        self.model = model
        self._steps = tuple(
            self._step(name, spec, known[name].kind, known[name].item_model)
            for name, spec in specs.items()
        )
        # Mapping plans by requested field set: a query shape asks for the same set each time.
        self._plans: dict[frozenset[str], tuple[_Step, ...]] = {}
        self._attributes = {
            name: set(spec.attributes)
            if spec.attributes is not None
            else root_attributes(spec.path)
            for name, spec in specs.items()
        }

    @staticmethod
    def _step(name: str, spec: FieldSpec, kind: ScalarKind, item_model: type[Any] | None) -> _Step:
        key, get = _single_key(spec.path), compile_path(spec.path)
        if item_model is not None:
            items = RecordMapper(item_model, spec.fields or {}).map_list
            return name, key, get, spec.required, None, items, items
        coerce = build_coercer(kind, spec)
        native_type, native = native_coercion(kind, spec) or (None, coerce)
        return name, key, get, spec.required, native_type, native, coerce

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
        if fields is None:
            steps = self._steps
        elif (planned := self._plans.get(fields)) is not None:
            steps = planned
        else:
            steps = self._plans[fields] = tuple(s for s in self._steps if s[0] in fields)
        record = raw if isinstance(raw, dict) else _NOT_AN_OBJECT
        values: dict[str, Any] = {}
        issues: dict[str, str] | None = None
        for name, key, get, required, native_type, native, convert in steps:
            value = record.get(key) if key is not None else get(raw)
            if value is None or value == "":
                if required:
                    if issues is None:
                        issues = {}
                    issues[name] = "required value is missing"
                continue
            if type(value) is native_type:
                values[name] = native(value)
                continue
            try:
                values[name] = convert(value)
            except ValueError as exc:
                if issues is None:
                    issues = {}
                issues[name] = str(exc)
        values["issues"] = MappingProxyType(issues) if issues else NO_ISSUES
        return self.model(**values)

    def map_list(self, value: Any) -> tuple[Any, ...]:
        """Instances for a list of raw records."""
        # XML has no way to say "a list of one": a single child arrives as an object.
        seq = value if isinstance(value, list) else [value]
        return tuple(self.map(v) for v in seq)
