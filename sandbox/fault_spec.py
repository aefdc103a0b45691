"""Faults from text: the `--faults` CLI flag, environment variables and `PUT /_faults` bodies."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from .settings import API_NAMES, Fault

_FIELDS = {f.name: f for f in dataclasses.fields(Fault)}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_fault_spec(spec: str, base: Mapping[str, Fault] | None = None) -> dict[str, Fault]:
    """Parse `"crm=latency_ms:100,failure_rate:0.3;orders=latency_ms:20"`; `*` names every API.

    Sections apply in order over `base`, so `"*=latency_ms:20;crm=failure_rate:0.5"` gives crm
    both settings. Only the APIs in `base` or named (all, for `*`) appear in the result.
    """
    settings = {api: dataclasses.asdict(fault) for api, fault in (base or {}).items()}
    for section in filter(None, (part.strip() for part in spec.split(";"))):
        target, sep, assignments = section.partition("=")
        target = target.strip()
        if not sep:
            raise ValueError(f"fault spec section {section!r} must look like 'api=key:value,...'")
        apis = API_NAMES if target == "*" else (_check_api(target),)
        values = _parse_assignments(section, assignments)
        for api in apis:
            settings.setdefault(api, {}).update(values)
    return {api: fault_from_mapping(values, api) for api, values in settings.items()}


def faults_from_env(environ: Mapping[str, str]) -> dict[str, Fault]:
    """Read `SANDBOX_LATENCY_MS` and `SANDBOX_FAILURE_RATE` (all APIs), then `SANDBOX_FAULTS`."""
    parts = []
    for variable, key in (
        ("SANDBOX_LATENCY_MS", "latency_ms"),
        ("SANDBOX_FAILURE_RATE", "failure_rate"),
    ):
        value = environ.get(variable, "").strip()
        if value:
            parts.append(f"*={key}:{value}")
    parts.append(environ.get("SANDBOX_FAULTS", ""))
    try:
        return parse_fault_spec(";".join(parts))
    except ValueError as exc:
        raise ValueError(f"bad sandbox fault environment: {exc}") from exc


def fault_from_mapping(values: Mapping[str, object], api: str = "") -> Fault:
    """Build a Fault from loosely typed values (JSON or spec text), naming the bad key on error."""
    where = f" for {api}" if api else ""
    kwargs: dict[str, object] = {}
    for key, value in values.items():
        if key not in _FIELDS:
            raise ValueError(f"unknown fault setting {key!r}{where}; known: {', '.join(_FIELDS)}")
        kwargs[key] = _coerce(key, value, where)
    try:
        return Fault(**kwargs)  # type: ignore[arg-type]  # values were coerced per field above
    except ValueError as exc:
        raise ValueError(f"bad fault{where}: {exc}") from exc


def _check_api(name: str) -> str:
    if name not in API_NAMES:
        raise ValueError(f"unknown API {name!r} in fault spec; known: {', '.join(API_NAMES)}, *")
    return name


def _parse_assignments(section: str, assignments: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for assignment in filter(None, (part.strip() for part in assignments.split(","))):
        key, sep, value = assignment.partition(":")
        if not sep:
            raise ValueError(
                f"fault setting {assignment!r} in {section!r} must look like key:value"
            )
        values[key.strip()] = value.strip()
    return values


def _coerce(key: str, value: object, where: str) -> object:
    kind = _FIELDS[key].type
    problem = f"fault setting {key}{where} must be"
    if kind == "str":
        if isinstance(value, str):
            return value
        raise ValueError(f"{problem} text, got {value!r}")
    if isinstance(value, str):
        text = value.strip().lower()
        if kind == "bool":
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError(f"{problem} true or false, got {value!r}")
        if kind == "float | None" and text in {"", "none", "null"}:
            return None
        try:
            return int(text) if kind == "int" else float(text)
        except ValueError:
            raise ValueError(f"{problem} a number, got {value!r}") from None
    # JSON: bool is an int subclass, so check it first and refuse it for numeric settings.
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise ValueError(f"{problem} true or false, got {value!r}")
    if value is None and kind == "float | None":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{problem} a number, got {value!r}")
    if kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{problem} a whole number, got {value!r}")
        return int(value)
    return float(value)
