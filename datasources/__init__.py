"""Upstream sources: configuration, HTTP clients, codecs, mapping, caching, resilience and
sync, behind one facade (``SourceSet``).

Subpackages by concern: ``config/``, ``model/``, ``codecs/``, ``http/``, ``resilience/``,
``cache/`` and ``sync/``. Code outside ``datasources`` imports from this module or from a
subpackage's ``__init__``, never from a module inside one.
"""

from datasources.cache import Fetched, InvalidationWatcher
from datasources.config import CacheConfig, SourceConfig
from datasources.idempotency import KeyBindings
from datasources.metrics import SourceMetrics
from datasources.model import (
    ChannelPreference,
    CustomerProfile,
    LoyaltyMembership,
    Order,
    OrderLine,
    SupportTicket,
)
from datasources.resilience import CallLog, RequestBudget
from datasources.sources import ListedPage, SourceSet, Wanted, Write
from datasources.sync import (
    ChangeFeed,
    ChangeNotice,
    ChangeNoticeReader,
    ChangeSubscription,
    CustomerChanged,
)
from datasources.tracing import UpstreamSpan, UpstreamTracer
from datasources.warming import CacheWarmer

__all__ = [
    "CacheConfig",
    "CacheWarmer",
    "CallLog",
    "ChangeFeed",
    "ChangeNotice",
    "ChangeNoticeReader",
    "ChangeSubscription",
    "ChannelPreference",
    "CustomerChanged",
    "CustomerProfile",
    "Fetched",
    "InvalidationWatcher",
    "KeyBindings",
    "ListedPage",
    "LoyaltyMembership",
    "Order",
    "OrderLine",
    "RequestBudget",
    "SourceConfig",
    "SourceMetrics",
    "SourceSet",
    "SupportTicket",
    "UpstreamSpan",
    "UpstreamTracer",
    "Wanted",
    "Write",
]
