"""Rules that relate several keys of the sources' config, checked on the raw input.

They run whether or not the keys they read are themselves valid: pydantic skips
after-validators as soon as any key fails, and one typo must not hide the other problems of
a file. Each problem is a pydantic error detail located at the key to fix.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from datasources.model import ENTITY_MODELS, PLAIN_PATH, ModelField, model_fields

Loc = tuple[str | int, ...]
T = TypeVar("T")

_RULE: Final = "config_rule"
_BOOL: Final = TypeAdapter(bool)
# Auth kinds that set the Authorization header themselves.
_AUTHORIZATION_KINDS: Final = frozenset({"bearer", "oauth2"})


def problem(loc: Loc, message: str, found: Any = None) -> InitErrorDetails:
    """A located config problem with a message that says what is expected."""
    return InitErrorDetails(
        type=PydanticCustomError(_RULE, "{message}", {"message": message}),
        loc=loc,
        input=found,
    )


def validate_with_rules(
    title: str, data: Any, handler: Callable[[Any], T], problems: list[InitErrorDetails]
) -> T:
    """Validate ``data`` with ``handler`` and fail with its errors and ``problems`` together."""
    try:
        result = handler(data)
    except ValidationError as exc:
        details = [_detail(e) for e in exc.errors()]
        raise ValidationError.from_exception_data(exc.title, details + problems) from None
    if problems:
        raise ValidationError.from_exception_data(title, problems)
    return result


def _detail(error: ErrorDetails) -> InitErrorDetails:
    ctx = error.get("ctx", {})
    if error["type"] == _RULE:
        return problem(error["loc"], str(ctx.get("message", error["msg"])), error["input"])
    return InitErrorDetails(type=error["type"], loc=error["loc"], input=error["input"], ctx=ctx)


def source_problems(data: Any) -> list[InitErrorDetails]:
    """What is wrong between the keys of one source's table."""
    if not isinstance(data, Mapping):
        return []
    problems: list[InitErrorDetails] = []
    entity = data.get("entity")
    fields = data.get("fields")
    if isinstance(entity, str) and entity in ENTITY_MODELS and isinstance(fields, Mapping):
        known = model_fields(ENTITY_MODELS[entity])
        problems += _field_problems(fields, known, ("fields",), f"entity {entity!r}")
        problems += _update_problems(data.get("update"), fields, known)
    primary = truthy(data.get("primary", False))
    if primary and entity != "customer":
        problems.append(
            problem(
                ("primary",),
                f"'primary' is only allowed on a source with entity 'customer', not {entity!r}",
                data.get("primary"),
            )
        )
    if data.get("listing") is not None and not primary:
        problems.append(
            problem(("listing",), "'listing' is only allowed on the primary customer source")
        )
    problems += _batch_problems(data.get("batch"))
    problems += _auth_problems(data)
    return problems


def sources_problems(sources: Any) -> list[InitErrorDetails]:
    """What is wrong between sources: one primary, and each field fed by one source.

    Located from the top of the file, since ``sources`` is the table checked.
    """
    if not isinstance(sources, Mapping):
        return []
    tables = {name: s for name, s in sources.items() if isinstance(s, Mapping)}
    problems: list[InitErrorDetails] = []
    primaries = [name for name, s in tables.items() if truthy(s.get("primary", False))]
    if len(primaries) != 1:
        problems.append(
            problem(
                ("sources",),
                "exactly one source with entity 'customer' must have primary = true, "
                f"found {', '.join(map(repr, primaries)) if primaries else 'none'}",
            )
        )
    owners: dict[tuple[str, str], str] = {}
    for name, source in tables.items():
        entity, fields = source.get("entity"), source.get("fields")
        if not isinstance(entity, str) or not isinstance(fields, Mapping):
            continue
        # A customer's profile fields may come from several sources; other entities from one.
        keys = [(entity, f) for f in fields] if entity == "customer" else [(entity, "*")]
        for key in keys:
            other = owners.setdefault(key, name)
            if other != name:
                what = f"field {key[1]!r} of entity" if entity == "customer" else "entity"
                problems.append(
                    problem(
                        ("sources", name, "entity")
                        if key[1] == "*"
                        else ("sources", name, "fields", key[1]),
                        f"{what} {entity!r} is already fed by source {other!r}; "
                        "expected one source per field",
                    )
                )
    return problems


def _field_problems(
    specs: Mapping[Any, Any], known: Mapping[str, ModelField], loc: Loc, where: str
) -> list[InitErrorDetails]:
    problems: list[InitErrorDetails] = []
    for name, spec in specs.items():
        at = (*loc, name)
        target = known.get(name)
        if target is None:
            problems.append(
                problem(
                    at,
                    f"unknown target field {name!r} for {where}; "
                    f"expected one of {', '.join(sorted(known))}",
                )
            )
            continue
        if not isinstance(spec, Mapping):
            continue
        declared = spec.get("type")
        if isinstance(declared, str) and declared != target.kind:
            problems.append(
                problem(
                    (*at, "type"),
                    f"declared type {declared!r} does not match the model field, "
                    f"expected {target.kind!r}",
                )
            )
        items = spec.get("fields")
        if target.kind == "list":
            if not items:
                problems.append(
                    problem(at, f"list field {name!r} needs 'fields', the mapping of each item")
                )
            elif isinstance(items, Mapping) and target.item_model is not None:
                problems += _field_problems(
                    items, model_fields(target.item_model), (*at, "fields"), f"{name} items"
                )
        elif items is not None:
            problems.append(
                problem((*at, "fields"), f"'fields' is only allowed on list fields, not {name!r}")
            )
    return problems


def _update_problems(
    update: Any, specs: Mapping[Any, Any], known: Mapping[str, ModelField]
) -> list[InitErrorDetails]:
    """A write must name, for each field, the one attribute its read path names."""
    if not isinstance(update, Mapping):
        return []
    names = update.get("fields")
    names = list(names) if isinstance(names, list | tuple) else []
    path = update.get("path")
    problems: list[InitErrorDetails] = []
    in_path: list[str] = []
    if isinstance(path, str):
        try:
            in_path = [p[1] for p in string.Formatter().parse(path) if p[1] is not None]
        except ValueError as exc:
            return [problem(("update", "path"), f"expected a path template; {exc}", path)]
        if "key" not in in_path:
            problems.append(
                problem(("update", "path"), "expected a '{key}' placeholder for the customer", path)
            )
        for name in in_path:
            if name != "key" and name not in names:
                problems.append(
                    problem(
                        ("update", "path"),
                        f"placeholder {{{name}}} is not one of update.fields; expected 'key' "
                        "or a field that identifies the item",
                        path,
                    )
                )
    form = update.get("body") == "form"
    # A misspelt field name is reported in ``fields``; repeating it here would be noise.
    misspelt = any(name not in known for name in specs)
    for i, name in enumerate(names):
        at = ("update", "fields", i)
        spec = specs.get(name)
        target = known.get(name)
        if not isinstance(spec, Mapping) or target is None:
            if not misspelt:
                problems.append(problem(at, f"{name!r} is not a mapped field of this source", name))
            continue
        read = spec.get("path")
        if isinstance(read, str) and _compiles(read) and not PLAIN_PATH.fullmatch(read):
            problems.append(
                problem(at, f"{name}: path {read!r} names no single attribute to write", name)
            )
        elif isinstance(read, str) and form and "." in read and name not in in_path:
            problems.append(problem(at, f"{name}: a form body has no nesting for {read!r}", name))
        if target.kind == "list":
            problems.append(problem(at, f"{name}: list fields cannot be written", name))
        if spec.get("major_to_minor") is not None:
            problems.append(
                problem(at, f"{name}: amounts converted to minor units cannot be written", name)
            )
    return problems


def _compiles(path: str) -> bool:
    # An invalid expression is reported at the field itself.
    try:
        jmespath.compile(path)
    except JMESPathError:
        return False
    return True


def _batch_problems(batch: Any) -> list[InitErrorDetails]:
    if not isinstance(batch, Mapping) or not isinstance(batch.get("ids"), Mapping):
        return []
    ids = batch["ids"]
    style = ids.get("style", "comma")
    problems: list[InitErrorDetails] = []
    if style == "xml" and not ids.get("xml_root"):
        problems.append(
            problem(
                ("batch", "ids", "xml_root"),
                "ids style 'xml' needs xml_root, the root element of the request body",
            )
        )
    method = batch.get("method", "GET")
    if style in ("json", "xml") and method == "GET":
        problems.append(
            problem(
                ("batch", "method"),
                f"ids style {style!r} sends the ids in a body; expected method 'POST'",
                method,
            )
        )
    return problems


def _auth_problems(data: Mapping[Any, Any]) -> list[InitErrorDetails]:
    auth = data.get("auth")
    if not truthy(data.get("forward_caller_token", False)) or not isinstance(auth, Mapping):
        return []
    kind = auth.get("kind")
    header = auth.get("header", "")
    if kind in _AUTHORIZATION_KINDS or (
        kind == "header" and isinstance(header, str) and header.lower() == "authorization"
    ):
        return [
            problem(
                ("forward_caller_token",),
                f"forwarding the caller's token sets Authorization, which auth kind {kind!r} "
                "also sets; expected one of them",
                True,
            )
        ]
    return []


def truthy(value: Any) -> bool:
    # As pydantic will read it ("true" from an environment override counts), else False.
    try:
        return _BOOL.validate_python(value)
    except ValidationError:
        return False
