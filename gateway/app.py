"""The Starlette application: /graphql (with GraphiQL and subscriptions over WebSocket, SSE
and multipart), /graphql/schema.graphql, /webhooks/{source}, /healthz, /readyz and /metrics."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator

from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR, CollectorRegistry
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from core import Clock, RedisHealthBoard, SystemTimer, Timer
from datasources import SourceMetrics
from gateway.apq import persisted_queries
from gateway.endpoint import GraphQLEndpoint
from gateway.guard import AuthGuard
from gateway.metrics import GraphQLMetrics
from gateway.middleware import middleware_stack
from gateway.response_cache import ResponseCache, ResponseCacheMetrics
from gateway.routes import healthz, internal_error, metrics, readiness
from gateway.runtime import GatewayState, run_gateway
from gateway.schema_document import SCHEMA_PATH, SchemaDocument
from gateway.settings import Settings
from gateway.tracing import RequestTracing, open_tracing
from gateway.webhooks import WebhookEndpoint
from schema import GatewaySchema, schema_sdl


def create_app(
    settings: Settings,
    *,
    clock: Clock = time.time,
    timer: Timer | None = None,
    tracing: RequestTracing | None = None,
) -> Starlette:
    """The gateway for ``settings``; upstream clients open and close with the lifespan.

    ``clock`` (seconds since the epoch) decides cache freshness, token validity and the age
    of the identity provider's keys; ``timer`` (monotonic) drives request deadlines,
    breakers, outbound quotas, retry waits and request durations. Tests move both.
    ``tracing`` replaces the one ``settings.tracing`` describes; it is shut down with the app.
    The app's ``state.gateway`` is its ``GatewayState``.
    """
    timer = timer or SystemTimer()
    tracing = tracing or open_tracing(settings.tracing)
    # One registry per app: tests and multiple apps in a process never share counters.
    # The process, platform and GC collectors only read at scrape time.
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    # Every user of one Redis URL shares its client, its timeouts and its back-off.
    redis = RedisHealthBoard(settings.redis, timer, registry)
    persisted = persisted_queries(settings, redis)
    # Operation names label series only where an allow-list bounds them.
    graphql_metrics = GraphQLMetrics(registry, name_operations=settings.apq.allow_list is not None)
    state = GatewayState(SourceMetrics(registry))
    response_cache_metrics = ResponseCacheMetrics(registry)
    response_cache = (
        ResponseCache(settings.response_cache, clock, response_cache_metrics)
        if settings.response_cache.enabled
        else None
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with run_gateway(state, settings, clock, timer, redis, tracing) as runtime:
                if response_cache is not None:
                    runtime.sources.watch_invalidations(response_cache)
                yield
        finally:
            if persisted is not None:
                await persisted.aclose()
            await redis.aclose()
            if tracing is not None:
                tracing.shutdown()

    app = Starlette(
        lifespan=lifespan,
        exception_handlers={Exception: internal_error},
        middleware=middleware_stack(settings, graphql_metrics, timer, tracing),
    )
    app.state.gateway = state
    endpoint = GraphQLEndpoint(state, settings, persisted, timer, response_cache)
    if isinstance(endpoint.schema, GatewaySchema):
        state.fast_path = endpoint.schema.fast_path
    graphql = AuthGuard(
        endpoint, state, realm=settings.auth.realm, api_key_header=settings.auth.api_key_header
    )
    sdl = SchemaDocument(
        schema_sdl(endpoint.schema),
        open_to_all=settings.server.mode == "development",
        scope=settings.contract.scope,
    )
    schema_document = AuthGuard(
        sdl,
        state,
        realm=settings.auth.realm,
        api_key_header=settings.auth.api_key_header,
        operations_only=False,
    )
    webhooks = WebhookEndpoint(settings.sources, settings.secrets, state, clock)
    app.router.routes.extend(
        [
            # Every method, so that the endpoint answers the others with a GraphQL-shaped 405.
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route(SCHEMA_PATH, schema_document),
            Route("/graphiql/{name}", endpoint.graphiql_asset, methods=["GET"]),
            Route("/webhooks/{source}", webhooks.handle, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readiness(state)),
            Route("/metrics", metrics(registry)),
        ]
    )
    return app
