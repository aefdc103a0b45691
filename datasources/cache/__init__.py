"""The entity cache: tiers (in process, Redis), their record codec, coalescing of
concurrent fetches, each source behind its cache."""

from datasources.cache.cached_source import CachedSource, Fetched, RecordClient
from datasources.cache.codec import CacheDecodeError, RecordCodec
from datasources.cache.entity import EntityCache, InvalidationWatcher, retention
from datasources.cache.redis_tier import RedisTier

__all__ = [
    "CacheDecodeError",
    "CachedSource",
    "EntityCache",
    "Fetched",
    "InvalidationWatcher",
    "RecordClient",
    "RecordCodec",
    "RedisTier",
    "retention",
]
