"""Upstream sources: configuration, HTTP clients, codecs, mapping and the internal model."""

from datasources.budget import RequestBudget
from datasources.cache_config import CacheConfig
from datasources.cached_source import CachedSource, Fetched
from datasources.client import SourceClient
from datasources.config import SourceConfig
from datasources.errors import (
    AuthUnavailable,
    BadRequest,
    CircuitOpen,
    Forbidden,
    GatewayError,
    OutboundLimitReached,
    PayloadTooLarge,
    QueryLimitExceeded,
    RateLimited,
    Unauthenticated,
    UpstreamDataInvalid,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from datasources.metrics import SourceMetrics
from datasources.models import (
    ChannelPreference,
    CustomerProfile,
    LoyaltyMembership,
    Order,
    OrderLine,
)
from datasources.sources import SourceSet
from datasources.timer import SystemTimer, Timer

__all__ = [
    "AuthUnavailable",
    "BadRequest",
    "CacheConfig",
    "CachedSource",
    "ChannelPreference",
    "CircuitOpen",
    "CustomerProfile",
    "Fetched",
    "Forbidden",
    "GatewayError",
    "LoyaltyMembership",
    "Order",
    "OrderLine",
    "OutboundLimitReached",
    "PayloadTooLarge",
    "QueryLimitExceeded",
    "RateLimited",
    "RequestBudget",
    "SourceClient",
    "SourceConfig",
    "SourceMetrics",
    "SourceSet",
    "SystemTimer",
    "Timer",
    "Unauthenticated",
    "UpstreamDataInvalid",
    "UpstreamError",
    "UpstreamRateLimited",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
