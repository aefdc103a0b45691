"""Persisted queries: the APQ protocol, and an allow-list mode where only known operations run.

A request names its document by ``extensions.persistedQuery.sha256Hash``. Sent with the
query text, the hash is checked and the document registered; sent alone, the registered
text is used, or the client is told ``PERSISTED_QUERY_NOT_FOUND`` and sends it again with
the text. With an allow list, every operation must be in it, by text or by hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cachetools import LRUCache
from strawberry.http import GraphQLRequestData

from core import (
    OperationNotAllowed,
    PersistedQueryHashMismatch,
    PersistedQueryInvalid,
    PersistedQueryNotFound,
    RedisHealth,
    RedisHealthBoard,
    RedisUnavailable,
)
from gateway.settings import ConfigError, Settings


class QueryStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, query: str) -> None: ...

    async def aclose(self) -> None: ...


class MemoryQueryStore:
    """Registered documents in this process, least recently used dropped past ``max_entries``."""

    def __init__(self, max_entries: int) -> None:
        self._queries: LRUCache[str, str] = LRUCache(maxsize=max_entries)

    async def get(self, sha256: str) -> str | None:
        return self._queries.get(sha256)

    async def put(self, sha256: str, query: str) -> None:
        self._queries[sha256] = query

    async def aclose(self) -> None:
        self._queries.clear()


class RedisQueryStore:
    """Registered documents shared by replicas; an unavailable Redis is a miss, not an error
    (the client then sends the text again)."""

    def __init__(self, health: RedisHealth, prefix: str, ttl: float | None) -> None:
        self._health = health
        self._prefix = prefix
        self._ttl = int(ttl) if ttl else None

    async def get(self, sha256: str) -> str | None:
        client = self._health.client
        try:
            found = await self._health.call("apq get", lambda: client.get(self._prefix + sha256))
        except RedisUnavailable:
            return None
        if found is None:
            return None
        return found.decode() if isinstance(found, bytes) else str(found)

    async def put(self, sha256: str, query: str) -> None:
        client = self._health.client
        key, value = self._prefix + sha256, query.encode()
        try:
            await self._health.call("apq put", lambda: client.set(key, value, ex=self._ttl))
        except RedisUnavailable:
            return

    async def aclose(self) -> None:
        """Nothing of its own to close: the client is its ``RedisHealth``'s."""


@dataclass(frozen=True)
class AllowList:
    """The operations a partner deployment runs: hashes, and the text of those known."""

    hashes: frozenset[str]
    queries: Mapping[str, str]


def load_allow_list(path: Path) -> AllowList:
    """Read an allow list: an Apollo persisted-query manifest (``operations`` with ``body``),
    an object of hash -> query, or a list of hashes; ``ValueError`` when it is none of them."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the allow list ({exc})") from None
    queries: dict[str, str] = {}
    hashes: set[str] = set()
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        for operation in data["operations"]:
            body = operation.get("body") if isinstance(operation, dict) else None
            if not isinstance(body, str):
                raise ValueError(f"{path}: every operation needs a 'body' string")
            queries[sha256_of(body)] = body
    elif isinstance(data, dict):
        for sha, body in data.items():
            if not isinstance(body, str) or sha256_of(body) != sha.lower():
                raise ValueError(f"{path}: {sha!r} is not the SHA-256 of its query")
            queries[sha.lower()] = body
    elif isinstance(data, list) and all(isinstance(h, str) for h in data):
        hashes.update(h.lower() for h in data)
    else:
        raise ValueError(f"{path}: expected a manifest, an object of queries or a list of hashes")
    return AllowList(frozenset(hashes | set(queries)), queries)


def sha256_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class PersistedQueries:
    """Fills in each request's query from its hash, registering and checking on the way."""

    def __init__(self, store: QueryStore, allow_list: AllowList | None = None) -> None:
        self._store = store
        self._allow_list = allow_list

    async def aclose(self) -> None:
        await self._store.aclose()

    async def resolve(self, request: GraphQLRequestData) -> None:
        """Set ``request.query`` from the persisted document, or raise why it cannot be."""
        wanted = _requested_hash(request.extensions)
        allowed = self._allow_list
        if request.query is not None:
            actual = sha256_of(request.query)
            if wanted is not None and wanted != actual:
                raise PersistedQueryHashMismatch("provided sha does not match query")
            if allowed is not None and actual not in allowed.hashes:
                raise _not_allowed()
            if wanted is not None:
                await self._store.put(actual, request.query)
            return
        if wanted is None:
            return
        if allowed is not None and wanted not in allowed.hashes:
            raise _not_allowed()
        query = allowed.queries.get(wanted) if allowed is not None else None
        if query is None:
            query = await self._store.get(wanted)
        if query is None:
            # Clients recognise the message as well as the code, and then send the text.
            raise PersistedQueryNotFound("PersistedQueryNotFound")
        request.query = query


def _requested_hash(extensions: Mapping[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    valid = isinstance(persisted, dict) and persisted.get("version", 1) == 1
    sha = persisted.get("sha256Hash") if valid else None
    if not isinstance(sha, str) or len(sha) != 64:
        raise PersistedQueryInvalid(
            "extensions.persistedQuery needs version 1 and a sha256Hash of 64 hex digits"
        )
    return sha.lower()


def _not_allowed() -> OperationNotAllowed:
    return OperationNotAllowed("only operations on this gateway's allow list run here")


def persisted_queries(settings: Settings, redis: RedisHealthBoard) -> PersistedQueries | None:
    """The persisted queries ``settings.apq`` describes, or None when they are off; a
    ``ConfigError`` for an allow list that cannot be read."""
    apq = settings.apq
    if not apq.enabled:
        return None
    allow_list = None
    if apq.allow_list is not None:
        try:
            allow_list = load_allow_list(apq.allow_list)
        except ValueError as exc:
            raise ConfigError([f"apq.allow_list: {exc}"]) from None
    store: QueryStore = MemoryQueryStore(apq.max_entries)
    if apq.store == "redis" and settings.cache.redis_url:
        health = redis.health(settings.cache.redis_url)
        store = RedisQueryStore(health, f"{settings.cache.redis_prefix}apq:", apq.redis_ttl)
    return PersistedQueries(store, allow_list)
