"""Loading the settings: a TOML file, ``${VAR:-default}`` interpolation, CG_* overrides.

This is the only module that reads files and the environment. ``load_settings`` reports
every problem at once, each with its location, so ``check-config`` and start-up can print
them all.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gateway.config_errors import Origins, describe, toml_problem
from gateway.settings.model import Settings

DEFAULT_CONFIG = Path(__file__).parent.parent / "sandbox.toml"
ENV_PREFIX = "CG_"

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Keys of an auth table that name the environment variable holding a secret.
_SECRET_SUFFIX = "_env"


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists every error with its location."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read, interpolate, override and validate a config file; raise ``ConfigError``.

    Every problem found is reported together: unset variables, invalid keys and values,
    rules between keys and sources, and secrets missing from the environment.
    """
    env = os.environ if environ is None else environ
    config_path = path or DEFAULT_CONFIG
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"{config_path}: cannot read ({exc.strerror})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([toml_problem(config_path, exc)]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{config_path}: not UTF-8 text ({exc.reason})"]) from None
    unset: list[str] = []
    data = _interpolate(raw, env, (), unset)
    data, origins = apply_env_overrides(data, env)
    problems = unset
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems += describe(exc, Settings, origins)
    secrets, missing = _secrets(data, env)
    problems += missing
    if problems or settings is None:
        raise ConfigError(problems)
    settings._secrets = secrets
    return settings


def _interpolate(
    value: Any, environ: Mapping[str, str], loc: tuple[str, ...], unset: list[str]
) -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string of a loaded config."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = environ.get(name)
            if found:
                return found
            if default is None:
                unset.append(
                    f"{'.'.join(loc)}: environment variable {name!r} is not set; expected a "
                    f"value, or a default written as ${{{name}:-default}}"
                )
                return ""
            return default

        return _INTERPOLATION.sub(replace, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, environ, (*loc, k), unset) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, environ, (*loc, str(i)), unset) for i, v in enumerate(value)]
    return value


def apply_env_overrides(
    data: dict[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, Any], Origins]:
    """Merge ``CG_SECTION__KEY__...=value`` variables over the file's values.

    Names are matched in lower case, one ``__`` per level: ``CG_SOURCES__CRM__TTL=5`` sets
    ``ttl`` of ``[sources.crm]``. Values that look like JSON lists or objects are parsed as
    JSON; everything else stays a string for pydantic to coerce, so ``5`` sets a number.
    Also returns which variable set which key, for error messages.
    """
    merged = copy.deepcopy(data)
    origins: dict[tuple[str, ...], str] = {}
    for key in sorted(environ):
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        path = key[len(ENV_PREFIX) :].lower().split("__")
        node = merged
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        value: Any = environ[key]
        if value[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        node[path[-1]] = value
        origins[tuple(path)] = key
    return merged, origins


def _secrets(data: Mapping[str, Any], env: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The secrets the sources' auth and webhook tables name, and a problem for each unset one."""
    sources = data.get("sources")
    found: dict[str, str] = {}
    problems: list[str] = []
    if not isinstance(sources, dict):
        return found, problems
    for name, source in sources.items():
        for table in ("auth", "webhook"):
            keys = source.get(table) if isinstance(source, dict) else None
            if not isinstance(keys, dict):
                continue
            for key, var in keys.items():
                if not key.endswith(_SECRET_SUFFIX) or not isinstance(var, str):
                    continue
                value = env.get(var)
                if value:
                    found[var] = value
                else:
                    problems.append(
                        f"sources.{name}.{table}.{key}: environment variable {var!r} is not "
                        "set; expected the secret there"
                    )
    return found, problems


def load_or_report(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings | None:
    """The settings, or None after printing every problem (the server must not start)."""
    try:
        return load_settings(path, environ)
    except ConfigError as exc:
        count = len(exc.problems)
        print(f"invalid configuration ({count} problem{'s' * (count != 1)}):", file=sys.stderr)
        for found in exc.problems:
            print(f"  {found}", file=sys.stderr)
        return None
