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
from types import MappingProxyType
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails

from auth import AuthSettings, LimitsSettings
from core import RedisPolicy
from datasources.config import (
    CacheConfig,
    SourceConfig,
    problem,
    sources_problems,
    validate_with_rules,
)
from gateway.config_errors import Origins, describe, toml_problem

DEFAULT_CONFIG = Path(__file__).with_name("sandbox.toml")
ENV_PREFIX = "CG_"

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Keys of an auth table that name the environment variable holding a secret.
_SECRET_SUFFIX = "_env"


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
    graphiql_assets: Path | None = Field(
        default=None,
        description="folder of GraphiQL's files (customer-graph graphiql-assets); "
        "unset: gateway/graphiql_assets",
    )
    http_transport: Literal["aiohttp", "httpx"] = Field(
        default="aiohttp", description="the httpx transport used for upstream calls"
    )
    fast_path: bool = Field(
        default=True, description="run supported queries through compiled plans"
    )
    parser_cache_size: int = Field(default=1024, ge=1, description="parsed documents kept")
    validation_cache_size: int = Field(
        default=1024, ge=1, description="validation results kept, by document"
    )
    request_deadline: float = Field(
        default=10.0,
        gt=0,
        description="seconds a GraphQL request may spend upstream, queueing and retries included",
    )
    retry_budget: int = Field(
        default=4, ge=0, description="upstream retries one GraphQL request may make in all"
    )
    shutdown_delay: float = Field(
        default=3.0,
        ge=0,
        description="seconds between readiness turning false and the listener closing",
    )
    shutdown_grace: int = Field(
        default=20, ge=0, description="seconds in-flight requests get to finish at shutdown"
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

    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="request body size, after any decoding"
    )
    cors_origins: tuple[str, ...] = Field(
        default=(), description="origins allowed to call from a browser; none by default"
    )
    cors_max_age: int = Field(default=600, ge=0)
    cors_localhost: bool | None = Field(
        default=None,
        description="allow pages on http://localhost and 127.0.0.1 (any port), for a "
        "frontend dev server; unset: in development mode only",
    )
    max_batch: int = Field(
        default=0,
        ge=0,
        le=100,
        description="operations one request may carry as a JSON array; 0: batching is off",
    )


class LoggingSettings(BaseModel):
    """Structured logs on standard output; ``serve --log-format`` overrides ``format``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["json", "console"] = Field(
        default="json", description="json: one object per line; console: readable lines"
    )
    level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="the least severe level written; access lines are info"
    )


class TracingSettings(BaseModel):
    """OpenTelemetry traces of GraphQL requests and their upstream calls (the otel extra)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    exporter: Literal["otlp", "console"] = Field(
        default="otlp", description="otlp: OTLP over HTTP to endpoint; console: spans on stdout"
    )
    endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="OTLP/HTTP traces URL; unset: the OTEL_EXPORTER_OTLP_* variables, "
        "else http://localhost:4318/v1/traces",
    )
    service_name: str = Field(default="customer-graph", min_length=1)
    sample_ratio: float = Field(
        default=1.0, ge=0, le=1, description="share of new traces kept; callers' choice is kept"
    )


class SubscriptionSettings(BaseModel):
    """GraphQL subscriptions over WebSocket (graphql-transport-ws); see docs/sync.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    queue_size: int = Field(
        default=100,
        ge=1,
        description="change batches a subscriber may fall behind before it is ended "
        "with CHANGES_MISSED",
    )
    max_per_connection: int = Field(default=10, ge=1)
    init_timeout: float = Field(
        default=10.0, gt=0, description="seconds a new WebSocket has to send connection_init"
    )


class Settings(BaseModel):
    """Everything the gateway is configured with.

    The secrets the sources' auth and webhook tables name are resolved by ``load_settings``
    and kept out of the fields, so they never show in a dump or a repr of the settings.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    server: ServerSettings = Field(default_factory=ServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    # Every Redis the gateway uses: the cache's, the persisted queries', the rate limits'.
    redis: RedisPolicy = Field(default_factory=RedisPolicy)
    apq: PersistedQuerySettings = Field(default_factory=PersistedQuerySettings)
    compression: CompressionSettings = Field(default_factory=CompressionSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    subscriptions: SubscriptionSettings = Field(default_factory=SubscriptionSettings)
    sources: dict[str, SourceConfig] = Field(min_length=1)
    _secrets: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def secrets(self) -> Mapping[str, str]:
        """Environment variable name -> value, for the variables the sources' auth and
        webhook tables name."""
        return MappingProxyType(self._secrets)

    @model_validator(mode="wrap")
    @classmethod
    def _sources_fit_together(
        cls, data: Any, handler: ModelWrapValidatorHandler[Settings]
    ) -> Settings:
        raw = data if isinstance(data, Mapping) else {}
        problems = sources_problems(raw.get("sources")) + _production_problems(raw)
        apq, cache = raw.get("apq"), raw.get("cache")
        redis_url = cache.get("redis_url") if isinstance(cache, Mapping) else None
        if isinstance(apq, Mapping) and apq.get("store") == "redis" and not redis_url:
            problems.append(
                problem(
                    ("apq", "store"),
                    "expected 'memory', or cache.redis_url set for 'redis'",
                    "redis",
                )
            )
        return validate_with_rules(cls.__name__, data, handler, problems)


def _production_problems(raw: Mapping[str, Any]) -> list[InitErrorDetails]:
    """Production mode refuses anonymous callers, so someone must be able to authenticate."""
    server, auth = raw.get("server"), raw.get("auth")
    if not isinstance(server, Mapping) or server.get("mode") != "production":
        return []
    auth = auth if isinstance(auth, Mapping) else {}
    jwt, keys = auth.get("jwt"), auth.get("api_keys")
    if not jwt and not keys:
        return [
            problem(
                ("server", "mode"),
                "'production' needs auth.jwt or auth.api_keys, or no caller can authenticate",
                "production",
            )
        ]
    if isinstance(jwt, Mapping) and not (jwt.get("issuer") and jwt.get("audience")):
        return [problem(("auth", "jwt"), "production mode needs both issuer and audience")]
    return []


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
