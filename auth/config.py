"""Settings for authentication, query limits and rate limits, validated with pydantic.

The gateway reads them from its config file (``[auth]`` and ``[limits]``); everything in
``auth/`` receives these objects. docs/security.md is the reference.
"""

from __future__ import annotations

from typing import Literal

import limits
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from auth.permissions import ALL_SCOPES

SYMMETRIC_ALGORITHMS = ("HS256",)
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
Algorithm = Literal["HS256", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_rate(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        limits.parse(value)
    except ValueError:
        raise ValueError(f"not a rate limit like '100/minute': {value!r}") from None
    return value


class JwtSettings(_Strict):
    """How bearer tokens are verified and read."""

    issuer: str | None = Field(default=None, description="the required 'iss' claim")
    audience: tuple[str, ...] = Field(
        default=(), description="accepted 'aud' values; a token must name at least one"
    )
    algorithms: tuple[Algorithm, ...] = Field(default=("RS256", "ES256"), min_length=1)
    jwks_url: str | None = Field(default=None, description="the provider's JSON Web Key Set")
    hs256_secret: SecretStr | None = Field(
        default=None, description="shared secret for HS256 tokens (development)"
    )
    leeway_seconds: float = Field(default=30, ge=0, le=300)
    jwks_cache_seconds: float = Field(default=600, gt=0)
    jwks_min_refresh_seconds: float = Field(
        default=10,
        ge=0,
        description="an unknown 'kid' refetches the key set at most this often",
    )
    jwks_timeout_seconds: float = Field(default=5, gt=0)
    customer_id_claim: str = Field(default="sub", description="a consumer's customer id")
    scopes_claim: str = Field(
        default="scope", description="space-separated string or list; dotted for nested claims"
    )
    staff_claim: str = Field(
        default="roles", description="a claim (string or list) that marks staff tokens"
    )
    staff_values: tuple[str, ...] = ("staff",)

    @field_validator("audience", mode="before")
    @classmethod
    def _one_audience(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @field_validator("hs256_secret", "jwks_url", "issuer", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # ``${VAR:-}`` interpolates to "" when the variable is unset.
        return None if value == "" else value

    @model_validator(mode="after")
    def _keys_for_algorithms(self) -> JwtSettings:
        problems = []
        symmetric = [a for a in self.algorithms if a in SYMMETRIC_ALGORITHMS]
        asymmetric = [a for a in self.algorithms if a in ASYMMETRIC_ALGORITHMS]
        if symmetric and self.hs256_secret is None:
            problems.append("HS256 needs hs256_secret")
        if self.hs256_secret is not None and len(self.hs256_secret.get_secret_value()) < 32:
            problems.append("hs256_secret must be at least 32 characters")
        if asymmetric and self.jwks_url is None:
            problems.append(f"{', '.join(asymmetric)} need jwks_url")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ApiKeySettings(_Strict):
    """One partner's key: stored as its SHA-256, with the partner's scopes and rate."""

    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="hex SHA-256 of the key (`customer-graph hash-key`); never the key itself",
    )
    scopes: tuple[str, ...] = ()
    client_class: str = "partner"
    rate_limit: str | None = Field(default=None, description="e.g. '600/minute'")

    _check_rate = field_validator("rate_limit")(_check_rate)


class AuthSettings(_Strict):
    """Who may call: bearer tokens, partner API keys, and the development identity."""

    jwt: JwtSettings | None = None
    api_keys: dict[str, ApiKeySettings] = Field(default_factory=dict)
    api_key_header: str = "x-api-key"
    realm: str = "customer-graph"
    anonymous_scopes: tuple[str, ...] = Field(
        default=ALL_SCOPES,
        description="what a caller without credentials may do, in development mode only",
    )

    @model_validator(mode="after")
    def _distinct_keys(self) -> AuthSettings:
        seen: dict[str, str] = {}
        for key_id, key in self.api_keys.items():
            other = seen.setdefault(key.sha256, key_id)
            if other != key_id:
                raise ValueError(f"api_keys.{key_id}: same key as api_keys.{other}")
        return self


class QueryLimitSettings(_Strict):
    """How big an operation may be, checked before anything is fetched."""

    # At most auth.MAX_MEASURED_DEPTH, the depth measured exactly (schema/measure.py).
    max_depth: int = Field(default=15, ge=1, le=100)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=5000, ge=1)
    max_list_size: int = Field(
        default=1000,
        ge=1,
        description="the largest 'first', number of 'ids' or list 'input' of one field",
    )
    max_cost: int = Field(
        default=100_000,
        ge=1,
        description="fields resolved, with each list multiplied by its 'first', 'ids' or "
        "'input' size",
    )
    max_writes: int = Field(default=20, ge=1, description="upstream writes one operation may cause")


class QueryLimitOverrides(_Strict):
    """A client class's own query limits; unset values come from ``limits.query``."""

    max_depth: int | None = Field(default=None, ge=1, le=100)
    max_aliases: int | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=1)
    max_list_size: int | None = Field(default=None, ge=1)
    max_cost: int | None = Field(default=None, ge=1)
    max_writes: int | None = Field(default=None, ge=1)


class RateLimitSettings(_Strict):
    """Requests per identity; in Redis when several gateway replicas must share counters."""

    storage_url: str = Field(default="memory://", description="memory:// or redis://host:port[/db]")
    key_prefix: str = "customer-graph"
    strategy: Literal["fixed-window", "moving-window", "sliding-window-counter"] = (
        "sliding-window-counter"
    )
    consumer: str | None = "300/minute"
    staff: str | None = "3000/minute"
    partner: str | None = Field(default="600/minute", description="a key's own rate_limit wins")
    anonymous: str | None = Field(default=None, description="per client address")

    _check_rates = field_validator("consumer", "staff", "partner", "anonymous")(_check_rate)

    @field_validator("storage_url")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("storage_url must start with memory://, redis:// or rediss://")
        return value


class LimitsSettings(_Strict):
    """Query limits (with per client class overrides) and rate limits."""

    query: QueryLimitSettings = Field(default_factory=QueryLimitSettings)
    query_by_class: dict[str, QueryLimitOverrides] = Field(default_factory=dict)
    rate: RateLimitSettings = Field(default_factory=RateLimitSettings)

    def query_limits(self, client_class: str) -> QueryLimitSettings:
        """The query limits for ``client_class``: its overrides over the common ones."""
        overrides = self.query_by_class.get(client_class)
        if overrides is None:
            return self.query
        return self.query.model_copy(update=overrides.model_dump(exclude_none=True))
