"""Gateway settings: a TOML file, ``${VAR:-default}`` interpolation, CG_* overrides.

This is the only module that reads files and the environment; everything below receives
the validated objects. ``load_settings`` reports every problem at once, each with its
location, so ``check-config`` and start-up can print them all.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from auth import AuthSettings, LimitsSettings
from datasources.cache_config import CacheConfig
from datasources.config import (
    BearerAuth,
    HeaderAuth,
    OAuth2ClientCredentials,
    SourceConfig,
    config_error_details,
)

DEFAULT_CONFIG = Path(__file__).with_name("sandbox.toml")
ENV_PREFIX = "CG_"

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """The configuration is invalid; ``problems`` lists every error with its location."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ServerSettings(BaseModel):
    """How the gateway serves clients."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    mode: Literal["development", "production"] = Field(
        default="development",
        description="development: callers without credentials are the anonymous developer; "
        "production: every request must authenticate",
    )
    graphiql: bool | None = Field(default=None, description="unset: on in development only")
    introspection: bool | None = Field(default=None, description="unset: on in development only")
    http_transport: Literal["aiohttp", "httpx"] = Field(
        default="aiohttp", description="the httpx transport used for upstream calls"
    )
    parser_cache_size: int = Field(default=1024, ge=1, description="parsed documents kept")
    validation_cache_size: int = Field(
        default=1024, ge=1, description="validation results kept, by document"
    )

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else self.mode == "development"

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is not None:
            return self.introspection
        return self.mode == "development"


class PersistedQuerySettings(BaseModel):
    """Automatic persisted queries, the allow-list mode, and HTTP caching of GET queries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    store: Literal["memory", "redis"] = Field(
        default="memory", description="where registered documents live; redis uses cache.redis_url"
    )
    max_entries: int = Field(default=10_000, ge=1, description="documents kept by the memory store")
    redis_ttl: float | None = Field(
        default=None, gt=0, description="seconds a document lives in Redis; forever when unset"
    )
    allow_list: Path | None = Field(
        default=None,
        description="JSON file of the only operations that run (manifest, hash->query, hashes)",
    )
    get_cache_control: str | None = Field(
        default=None,
        description="Cache-Control of successful GET query responses, e.g. 'private, max-age=30'",
    )


class CompressionSettings(BaseModel):
    """Response compression above a size; brotli for clients that accept it, else gzip."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    minimum_size: int = Field(
        default=1024, ge=0, description="bytes below which nothing is compressed"
    )
    gzip_level: int = Field(default=6, ge=1, le=9)
    brotli: bool = True
    brotli_quality: int = Field(default=4, ge=0, le=11)


class HttpSettings(BaseModel):
    """What the HTTP layer accepts from browsers and clients."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    cors_origins: tuple[str, ...] = Field(
        default=(), description="origins allowed to call from a browser; none by default"
    )
    cors_max_age: int = Field(default=600, ge=0)


class Settings(BaseModel):
    """Everything the gateway is configured with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    server: ServerSettings = Field(default_factory=ServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    apq: PersistedQuerySettings = Field(default_factory=PersistedQuerySettings)
    compression: CompressionSettings = Field(default_factory=CompressionSettings)
    sources: dict[str, SourceConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _production_authenticates(self) -> Settings:
        if self.server.mode != "production":
            return self
        jwt = self.auth.jwt
        if jwt is None and not self.auth.api_keys:
            raise ValueError("server.mode = 'production' needs auth.jwt or auth.api_keys")
        if jwt is not None and (jwt.issuer is None or not jwt.audience):
            raise ValueError("auth.jwt: production mode needs both issuer and audience")
        return self

    @model_validator(mode="after")
    def _sources_fit_together(self) -> Settings:
        problems: list[str] = []
        primaries = [n for n, s in self.sources.items() if s.primary]
        if len(primaries) != 1:
            problems.append(
                "sources: exactly one source with entity 'customer' must be primary = true, "
                f"found {primaries or 'none'}"
            )
        owners: dict[tuple[str, str], str] = {}
        for name, source in self.sources.items():
            single = source.entity != "customer"
            for field in source.fields:
                key = (source.entity, field if not single else "*")
                other = owners.setdefault(key, name)
                if other != name:
                    what = f"field {field!r} of" if not single else "entity"
                    problems.append(
                        f"sources.{name}: {what} {source.entity!r} is already fed by "
                        f"source {other!r}"
                    )
                    break
        if self.apq.store == "redis" and not self.cache.redis_url:
            problems.append("apq.store: 'redis' needs cache.redis_url")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def interpolate(value: Any, environ: Mapping[str, str]) -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string of a loaded config."""
    if isinstance(value, str):
        return _INTERPOLATION.sub(
            lambda m: environ.get(m.group(1)) or (m.group(2) if m.group(2) is not None else ""),
            value,
        )
    if isinstance(value, dict):
        return {k: interpolate(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, environ) for v in value]
    return value


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read, interpolate, override and validate a config file; raise ``ConfigError``."""
    env = os.environ if environ is None else environ
    config_path = path or DEFAULT_CONFIG
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"{config_path}: cannot read ({exc.strerror})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{config_path}: not valid TOML: {exc}"]) from None
    data = interpolate(raw, env)
    try:
        settings = Settings.model_validate(apply_env_overrides(data, env))
    except ValidationError as exc:
        raise ConfigError(config_error_details(exc)) from None
    problems = _missing_secrets(settings, env)
    if problems:
        raise ConfigError(problems)
    return settings


def apply_env_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Merge ``CG_SECTION__KEY__...=value`` variables over the file's values.

    Values that look like JSON lists or objects are parsed as JSON; everything else stays a
    string for pydantic to coerce, so ``CG_SOURCES__CRM__TTL=5`` sets a number.
    """
    merged = copy.deepcopy(data)
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
    return merged


def _missing_secrets(settings: Settings, env: Mapping[str, str]) -> list[str]:
    problems = []
    for name, source in settings.sources.items():
        auth = source.auth
        needed: dict[str, str] = {}
        if isinstance(auth, HeaderAuth):
            needed["value_env"] = auth.value_env
        elif isinstance(auth, BearerAuth):
            needed["token_env"] = auth.token_env
        elif isinstance(auth, OAuth2ClientCredentials):
            needed["client_id_env"] = auth.client_id_env
            needed["client_secret_env"] = auth.client_secret_env
        for key, var in needed.items():
            if not env.get(var):
                problems.append(
                    f"sources.{name}.auth.{key}: environment variable {var!r} is not set "
                    "(expected the secret there)"
                )
    return problems
