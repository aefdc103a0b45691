"""One long-lived httpx transport per upstream, of the kind chosen in settings."""

from __future__ import annotations

import httpx
from httpx_aiohttp import AiohttpTransport

from core import Clock, RedisHealthBoard, Timer
from datasources import SourceConfig, SourceMetrics, SourceSet, UpstreamTracer
from gateway.settings import Settings


def open_sources(
    settings: Settings,
    metrics: SourceMetrics,
    clock: Clock,
    timer: Timer,
    redis: RedisHealthBoard,
    tracer: UpstreamTracer | None = None,
) -> SourceSet:
    """The configured sources with their HTTP clients and cache; close with ``SourceSet.aclose``."""
    transport_kind = settings.server.http_transport

    def transport(config: SourceConfig) -> httpx.AsyncBaseTransport:
        limits = httpx.Limits(
            max_connections=config.max_concurrency,
            max_keepalive_connections=config.max_concurrency,
        )
        if transport_kind == "aiohttp":
            return AiohttpTransport(limits=limits)
        return httpx.AsyncHTTPTransport(limits=limits)

    return SourceSet(
        settings.sources,
        transport,
        metrics,
        settings.cache,
        clock,
        secrets=settings.secrets,
        timer=timer,
        tracer=tracer,
        redis=redis,
        bus=settings.bus,
    )
