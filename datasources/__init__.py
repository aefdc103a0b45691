"""Upstream sources: configuration, HTTP clients, codecs, mapping and the internal model."""

from datasources.budget import RequestBudget
from datasources.cache_config import CacheConfig
from datasources.cached_source import CachedSource, Fetched
from datasources.change_notices import ChangeNotice, ChangeNoticeReader
from datasources.changes import ChangeFeed, ChangeSubscription, CustomerChanged
from datasources.client import SourceClient
from datasources.config import SourceConfig
from datasources.errors import (
    AuthUnavailable,
    BadRequest,
    ChangesMissed,
    CircuitOpen,
    Forbidden,
    GatewayError,
    NotFound,
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
from datasources.tracing import UpstreamSpan, UpstreamTracer

__all__ = [
    "AuthUnavailable",
    "BadRequest",
    "CacheConfig",
    "CachedSource",
    "ChangeFeed",
    "ChangeNotice",
    "ChangeNoticeReader",
    "ChangeSubscription",
    "ChangesMissed",
    "ChannelPreference",
    "CircuitOpen",
    "CustomerChanged",
    "CustomerProfile",
    "Fetched",
    "Forbidden",
    "GatewayError",
    "LoyaltyMembership",
    "NotFound",
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
    "UpstreamSpan",
    "UpstreamTimeout",
    "UpstreamTracer",
    "UpstreamUnavailable",
]
