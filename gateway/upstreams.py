"""One long-lived httpx client per upstream, over the transport chosen in settings."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from httpx_aiohttp import AiohttpTransport
from prometheus_client import CollectorRegistry

from datasources import SourceConfig, SourceMetrics, SourceSet, Timer, UpstreamTracer
from gateway.settings import Settings


def open_sources(
    settings: Settings,
    registry: CollectorRegistry,
    clock: Callable[[], float],
    timer: Timer,
    tracer: UpstreamTracer | None = None,
) -> SourceSet:
    """The configured sources with their HTTP clients and cache; close with ``SourceSet.aclose``."""
    transport_kind = settings.server.http_transport

    def http_client(config: SourceConfig) -> httpx.AsyncClient:
        limits = httpx.Limits(
            max_connections=config.max_concurrency,
            max_keepalive_connections=config.max_concurrency,
        )
        transport: httpx.AsyncBaseTransport
        if transport_kind == "aiohttp":
            transport = AiohttpTransport(limits=limits)
        else:
            transport = httpx.AsyncHTTPTransport(limits=limits)
        return httpx.AsyncClient(transport=transport, limits=limits, follow_redirects=False)

    return SourceSet(
        settings.sources,
        http_client,
        SourceMetrics(registry),
        settings.cache,
        clock,
        secrets=settings.secrets,
        timer=timer,
        tracer=tracer,
    )
