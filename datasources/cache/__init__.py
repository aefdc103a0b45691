"""The entity cache: tiers (in process, Redis), their record codec, coalescing of
concurrent fetches, each source behind its cache, and warming."""

from datasources.cache.cached_source import CachedSource, Fetched
from datasources.cache.codec import CacheDecodeError, RecordCodec
from datasources.cache.entity import EntityCache
from datasources.cache.redis_tier import RedisTier
from datasources.cache.warming import CacheWarmer

__all__ = [
    "CacheDecodeError",
    "CacheWarmer",
    "CachedSource",
    "EntityCache",
    "Fetched",
    "RecordCodec",
    "RedisTier",
]
