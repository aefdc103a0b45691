"""The gateway's settings model: every section of the TOML file, validated together.

Only ``gateway.settings.loading`` reads files and the environment; everything below the
gateway receives these validated, frozen objects.
"""

from __future__ import annotations

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
    model_validator,
)
from pydantic_core import InitErrorDetails

from auth import AuthSettings, LimitsSettings
from core import RedisPolicy
from datasources.config import (
    BusConfig,
    CacheConfig,
    SourceConfig,
    problem,
    sources_problems,
    validate_with_rules,
)
from gateway.settings.contract import ContractSettings
from gateway.settings.freshness import FreshnessSettings
from gateway.settings.idempotency import IdempotencySettings
from gateway.settings.response_cache import ResponseCacheSettings
from schema import FederationSettings


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
    field_suggestions: bool | None = Field(
        default=None,
        description="'Did you mean ...?' in validation errors; unset: on in development only",
    )
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

    @property
    def field_suggestions_enabled(self) -> bool:
        if self.field_suggestions is not None:
            return self.field_suggestions
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
    # The replica bus rides on the cache's Redis (cache.redis_url).
    bus: BusConfig = Field(default_factory=BusConfig)
    # Every Redis the gateway uses: the cache's, the persisted queries', the rate limits'.
    redis: RedisPolicy = Field(default_factory=RedisPolicy)
    apq: PersistedQuerySettings = Field(default_factory=PersistedQuerySettings)
    compression: CompressionSettings = Field(default_factory=CompressionSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    subscriptions: SubscriptionSettings = Field(default_factory=SubscriptionSettings)
    federation: FederationSettings = Field(default_factory=FederationSettings)
    response_cache: ResponseCacheSettings = Field(default_factory=ResponseCacheSettings)
    contract: ContractSettings = Field(default_factory=ContractSettings)
    freshness: FreshnessSettings = Field(default_factory=FreshnessSettings)
    idempotency: IdempotencySettings = Field(default_factory=IdempotencySettings)
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
