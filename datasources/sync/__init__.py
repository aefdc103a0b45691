"""Keeping data fresh: change notices from upstreams, the replica bus that carries
invalidations and changes between replicas, and the feed subscriptions read."""

from datasources.sync.bus import BusHandler, ReplicaBus
from datasources.sync.feed import ChangeFeed, ChangeSubscription
from datasources.sync.messages import BusMessage, Changes, CustomerChanged, Invalidation
from datasources.sync.notices import ChangeNotice, ChangeNoticeReader

__all__ = [
    "BusHandler",
    "BusMessage",
    "ChangeFeed",
    "ChangeNotice",
    "ChangeNoticeReader",
    "ChangeSubscription",
    "Changes",
    "CustomerChanged",
    "Invalidation",
    "ReplicaBus",
]
