"""Upstream sources: configuration, HTTP clients, codecs, mapping and the internal model."""

from datasources.budget import RequestBudget
from datasources.client import SourceClient
from datasources.clock import Clock, SystemClock
from datasources.config import SourceConfig
from datasources.errors import (
    BadRequest,
    CircuitOpen,
    GatewayError,
    OutboundLimitReached,
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

__all__ = [
    "BadRequest",
    "ChannelPreference",
    "CircuitOpen",
    "Clock",
    "CustomerProfile",
    "GatewayError",
    "LoyaltyMembership",
    "Order",
    "OrderLine",
    "OutboundLimitReached",
    "RequestBudget",
    "SourceClient",
    "SourceConfig",
    "SourceMetrics",
    "SourceSet",
    "SystemClock",
    "UpstreamDataInvalid",
    "UpstreamError",
    "UpstreamRateLimited",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
