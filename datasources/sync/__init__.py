"""Keeping data fresh: change notices from upstreams, and the feed of customer changes
shared by replicas and read by subscriptions."""

from datasources.sync.feed import ChangeFeed, ChangeSubscription, CustomerChanged
from datasources.sync.notices import ChangeNotice, ChangeNoticeReader

__all__ = [
    "ChangeFeed",
    "ChangeNotice",
    "ChangeNoticeReader",
    "ChangeSubscription",
    "CustomerChanged",
]
