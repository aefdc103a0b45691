"""What a running gateway holds: opened by the app's lifespan, closed with it.

``GatewayState`` is made with the app and given to every part that serves requests; its
``runtime`` (the upstream clients, the change feed, the authenticator and rate limiter)
exists only between start-up and shutdown, and ``ready`` says whether to take traffic.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import structlog

from auth import Authenticator, IdentityRateLimiter, JwksCache, TokenVerifier, WriteLimits
from core import Clock, RedisHealthBoard, Timer
from datasources import ChangeFeed, KeyBindings, SourceMetrics, SourceSet
from gateway.settings import Settings
from gateway.tracing import RequestTracing
from gateway.upstreams import open_sources
from schema.fastpath import FastPath

log = structlog.get_logger("customer_graph.gateway")


@dataclass(frozen=True, slots=True)
class Runtime:
    """The long-lived clients of a started gateway."""

    sources: SourceSet
    changes: ChangeFeed
    authenticator: Authenticator
    rate_limiter: IdentityRateLimiter
    key_bindings: KeyBindings
    write_limits: WriteLimits


@dataclass(slots=True)
class GatewayState:
    """One app's state, typed: what it measures, and its runtime once started."""

    source_metrics: SourceMetrics
    # How many operations ran through compiled plans, and how many on Strawberry.
    fast_path: FastPath | None = None
    runtime: Runtime | None = None
    ready: bool = False

    @property
    def started(self) -> Runtime:
        """The runtime; only requests reach for it, and they come after start-up."""
        runtime = self.runtime
        if runtime is None:
            raise RuntimeError("the gateway has not started")
        return runtime


@contextlib.asynccontextmanager
async def run_gateway(
    state: GatewayState,
    settings: Settings,
    clock: Clock,
    timer: Timer,
    redis: RedisHealthBoard,
    tracing: RequestTracing | None,
) -> AsyncIterator[Runtime]:
    """Open the runtime into ``state`` and mark it ready; on exit, unready first, then close.
    ``redis`` (the Redis clients and their health) is the caller's to close."""
    sources = open_sources(
        settings, state.source_metrics, clock, timer, redis, tracing.upstream if tracing else None
    )
    changes = ChangeFeed(
        sources.bus, state.source_metrics, queue_size=settings.subscriptions.queue_size
    )
    await sources.start()
    auth_http = httpx.AsyncClient(
        timeout=settings.auth.jwt.jwks_timeout_seconds if settings.auth.jwt else 5,
        follow_redirects=False,
    )
    rate_limiter = IdentityRateLimiter.open(settings.limits.rate, redis)
    runtime = Runtime(
        sources,
        changes,
        _authenticator(settings, auth_http, clock),
        rate_limiter,
        _key_bindings(settings, timer, redis),
        WriteLimits(settings.limits, rate_limiter),
    )
    state.runtime = runtime
    state.ready = True
    log.info("gateway started", sources=sorted(settings.sources), mode=settings.server.mode)
    if settings.server.mode == "development":
        log.warning(
            "development mode: requests without credentials run as the anonymous "
            "developer; set server.mode = 'production' for deployments"
        )
    try:
        yield runtime
    finally:
        state.ready = False
        changes.close()
        await sources.aclose()
        await auth_http.aclose()


def _key_bindings(settings: Settings, timer: Timer, redis: RedisHealthBoard) -> KeyBindings:
    url = settings.cache.redis_url
    return KeyBindings(
        settings.idempotency.ttl,
        settings.idempotency.max_entries,
        timer,
        redis.health(url) if url else None,
        prefix=f"{settings.cache.redis_prefix}idem:",
    )


def _authenticator(settings: Settings, http: httpx.AsyncClient, clock: Clock) -> Authenticator:
    jwt = settings.auth.jwt
    tokens = None
    if jwt is not None:
        jwks = None
        if jwt.jwks_url is not None:
            jwks = JwksCache(
                jwt.jwks_url,
                http,
                algorithms=jwt.algorithms,
                cache_seconds=jwt.jwks_cache_seconds,
                min_refresh_seconds=jwt.jwks_min_refresh_seconds,
                clock=clock,
            )
        tokens = TokenVerifier(jwt, jwks=jwks, clock=clock)
    return Authenticator(
        settings.auth, tokens=tokens, allow_anonymous=settings.server.mode == "development"
    )
