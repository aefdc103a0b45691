"""Turn config validation errors into one line each: where, what is expected, what was found.

``check-config`` and start-up print these lines; they name the key to fix as a dotted path
(``sources.crm.batch.max_batch_size``), the same path a ``CG_*`` override spells.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Origins = Mapping[tuple[str, ...], str]

# What a value of the failing type should have been, in the words of a config file.
_EXPECTED: Final = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
}
_PATTERNS: Final = {
    r"^https?://": "an http:// or https:// URL",
    r"^/": "a path starting with '/'",
    r"^[A-Za-z_][A-Za-z0-9_]*$": "an environment variable name",
}
_BOUNDS: Final = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}
_TOML_POSITION = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")
_TOML_DUPLICATE_SOURCE = re.compile(r"^Cannot declare \('sources', '(?P<name>[^']*)'\) twice$")


def toml_problem(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """The parser's complaint with its line and column, and a hint for duplicate sources."""
    text = str(exc)
    match = _TOML_POSITION.match(text)
    if match is None:
        return f"{path}: not valid TOML: {text}"
    message = match["msg"]
    duplicate = _TOML_DUPLICATE_SOURCE.match(message)
    if duplicate is not None:
        message = (
            f"source {duplicate['name']!r} is declared twice; expected each [sources.NAME] "
            "table once"
        )
    elif message == "Cannot overwrite a value":
        message = "this key is set twice in the same table; expected each key once"
    return f"{path}: line {match['line']}, column {match['col']}: not valid TOML: {message}"


def describe(exc: ValidationError, root: type[BaseModel], origins: Origins) -> list[str]:
    """One line per error of ``exc`` raised while validating ``root``."""
    lines = []
    for error in exc.errors():
        path, parent = _resolve(root, error["loc"])
        where = ".".join(path) or "(top level)"
        line = f"{where}: {_message(error, parent)}"
        found = _found(error)
        if found:
            line += f" (found {found})"
        origin = _origin(path, origins)
        if origin:
            line += f" [set by {origin}]"
        lines.append(line)
    return lines


def _message(error: ErrorDetails, parent: type[BaseModel] | None) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(str(error["loc"][-1]), parent)
    if kind == "literal_error":
        return f"expected one of {ctx['expected']}"
    if kind == "union_tag_invalid":
        return (
            f"unknown {ctx['discriminator']} {ctx['tag']!r}; expected one of {ctx['expected_tags']}"
        )
    if kind == "union_tag_not_found":
        return f"expected a {ctx['discriminator']} key"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx["pattern"])
        return f"expected {_PATTERNS.get(pattern, f'text matching {pattern}')}"
    if kind in _BOUNDS:
        key, sign = _BOUNDS[kind]
        return f"expected a number {sign} {ctx[key]}"
    if kind == "too_short":
        return f"expected at least {ctx['min_length']} entries"
    if kind == "string_too_short":
        return f"expected at least {ctx['min_length']} characters"
    if kind == "string_too_long":
        return f"expected at most {ctx['max_length']} characters"
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    return error["msg"].removeprefix("Value error, ")


def _unknown_key(name: str, parent: type[BaseModel] | None) -> str:
    if parent is None:
        return "unknown key"
    known = sorted(parent.model_fields)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key{hint}; expected one of {', '.join(known)}"


def _found(error: ErrorDetails) -> str | None:
    if error["type"] in ("missing", "extra_forbidden", "union_tag_not_found"):
        return None
    value = error["input"]
    if value is None or isinstance(value, dict):
        return None
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _origin(path: list[str], origins: Origins) -> str | None:
    for length in range(len(path), 0, -1):
        origin = origins.get(tuple(path[:length]))
        if origin is not None:
            return origin
    return None


def _resolve(root: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[list[str], Any]:
    """The displayed path of ``loc`` and the model holding its last key.

    A discriminated union puts the tag it chose into ``loc`` (``auth.oauth2.token_url``);
    the file has no such level, so the tag is dropped from the path.
    """
    path: list[str] = []
    node: Any = root
    parent: Any = None
    for part in loc:
        node = _without_none(node)
        parent = node if _is_model(node) else None
        if _is_model(node):
            field = node.model_fields.get(str(part))
            node = field.annotation if field is not None else None
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        elif get_origin(node) in (list, tuple):
            path[-1:] = [f"{path[-1] if path else ''}[{part}]"]
            node = get_args(node)[0]
            continue
        elif _is_union(node):
            member = _tagged_member(node, part)
            if member is not None:
                node = member
                continue
            node = None
        else:
            node = None
        path.append(str(part))
    return path, parent


def _without_none(node: Any) -> Any:
    if _is_union(node):
        members = [a for a in get_args(node) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return node


def _is_union(node: Any) -> bool:
    return get_origin(node) in (Union, types.UnionType)


def _is_model(node: Any) -> bool:
    return isinstance(node, type) and issubclass(node, BaseModel)


def _tagged_member(node: Any, tag: str | int) -> type[BaseModel] | None:
    for member in get_args(node):
        if not _is_model(member):
            continue
        kind = member.model_fields.get("kind")
        literal = kind is not None and get_origin(kind.annotation) is Literal
        if literal and tag in get_args(kind.annotation):
            return member  # type: ignore[no-any-return]
    return None
