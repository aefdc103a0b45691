"""Upstream sources: configuration, HTTP clients, codecs, mapping and the internal model."""

from datasources.client import SourceClient
from datasources.config import SourceConfig
from datasources.errors import (
    BadRequest,
    CircuitOpen,
    GatewayError,
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
    "CustomerProfile",
    "GatewayError",
    "LoyaltyMembership",
    "Order",
    "OrderLine",
    "SourceClient",
    "SourceConfig",
    "SourceMetrics",
    "SourceSet",
    "UpstreamDataInvalid",
    "UpstreamError",
    "UpstreamRateLimited",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
