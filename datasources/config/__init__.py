"""The declarative configuration of sources and of the entity cache, validated by pydantic
with every problem located (docs/sources.md, docs/caching.md)."""

from datasources.config.bus import BusConfig
from datasources.config.cache import CacheConfig
from datasources.config.graphql import GraphQLRequest
from datasources.config.policies import Breaker, RateLimit, Retries
from datasources.config.rules import problem, sources_problems, validate_with_rules
from datasources.config.source import (
    BearerAuth,
    CsvOptions,
    HeaderAuth,
    ListRequest,
    OAuth2ClientCredentials,
    SourceConfig,
    Timeouts,
    UpdateRequest,
    WebhookConfig,
    XmlOptions,
)

__all__ = [
    "BearerAuth",
    "Breaker",
    "BusConfig",
    "CacheConfig",
    "CsvOptions",
    "GraphQLRequest",
    "HeaderAuth",
    "ListRequest",
    "OAuth2ClientCredentials",
    "RateLimit",
    "Retries",
    "SourceConfig",
    "Timeouts",
    "UpdateRequest",
    "WebhookConfig",
    "XmlOptions",
    "problem",
    "sources_problems",
    "validate_with_rules",
]
