"""The Starlette application: /graphql (with GraphiQL), /healthz and /readyz."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import redis.asyncio as redis
import structlog
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.types import ExecutionResult

from datasources import RequestBudget, SourceSet, SystemTimer, Timer
from gateway.apq import (
    MemoryQueryStore,
    PersistedQueries,
    PersistedQueryError,
    QueryStore,
    RedisQueryStore,
    load_allow_list,
)
from gateway.compression import compression_middleware
from gateway.settings import ConfigError, Settings
from gateway.upstreams import open_sources
from resolvers import RequestContext
from schema import DEMAND_TABLE, build_schema

log = structlog.get_logger("customer_graph.gateway")


class GraphQLEndpoint(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with our context, persisted queries and a faster JSON encoder."""

    def __init__(
        self,
        app_state: Any,
        settings: Settings,
        persisted: PersistedQueries | None,
        timer: Timer,
    ) -> None:
        super().__init__(
            build_schema(
                parser_cache_size=settings.server.parser_cache_size,
                validation_cache_size=settings.server.validation_cache_size,
            ),
            graphql_ide="graphiql" if settings.server.graphiql else None,
        )
        self._state = app_state
        self._persisted = persisted
        self._get_cache_control = settings.apq.get_cache_control
        self._server = settings.server
        self._timer = timer

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        # The deadline starts now and covers every upstream call the operation makes.
        budget = RequestBudget(
            self._timer, self._server.request_deadline, self._server.retry_budget
        )
        return RequestContext(
            self._state.sources,
            DEMAND_TABLE,
            request,
            response,
            budget=budget,
            idempotency_key=request.headers.get("idempotency-key"),
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        if self._persisted is not None:
            for item in parsed if isinstance(parsed, list) else [parsed]:
                await self._persisted.resolve(item)
        return parsed

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET by hash alone has no query either, and is no browser asking for GraphiQL.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Only a complete, current answer may be kept by HTTP caches.
        request.state.cacheable = not result.errors and not (result.extensions or {})
        return await super().process_result(request, result)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # Strawberry's own HTTP handling, plus the persisted-query errors and cache headers.
        request = Request(scope, receive)
        response: Response
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = PlainTextResponse(exc.reason, status_code=exc.status_code)
        except PersistedQueryError as exc:
            response = JSONResponse(exc.body(), status_code=exc.status)
        else:
            cacheable = getattr(request.state, "cacheable", False)
            if self._get_cache_control and request.method == "GET" and cacheable:
                response.headers["cache-control"] = self._get_cache_control
        await response(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    timer: Timer | None = None,
) -> Starlette:
    """The gateway for ``settings``; upstream clients open and close with the lifespan.

    ``clock`` (seconds since the epoch) decides cache freshness; ``timer`` (monotonic)
    drives request deadlines, breakers, outbound quotas and retry waits. Tests move both.
    """
    timer = timer or SystemTimer()
    apq_redis: redis.Redis | None = None
    if settings.apq.enabled and settings.apq.store == "redis" and settings.cache.redis_url:
        apq_redis = redis.Redis.from_url(
            settings.cache.redis_url,
            socket_timeout=settings.cache.redis_timeout,
            socket_connect_timeout=settings.cache.redis_timeout,
            # The client's own retries would multiply the deadline; a miss is harmless.
            retry=Retry(NoBackoff(), 0),
        )
    persisted = _persisted_queries(settings, apq_redis) if settings.apq.enabled else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sources: SourceSet = open_sources(settings, registry, clock, timer)
        await sources.start()
        app.state.sources = sources
        app.state.ready = True
        log.info("gateway started", sources=sorted(settings.sources))
        try:
            yield
        finally:
            app.state.ready = False
            await sources.aclose()
            if apq_redis is not None:
                await apq_redis.aclose()

    # One registry per app: tests and multiple apps in a process never share counters.
    registry = CollectorRegistry()

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        lifespan=lifespan,
        exception_handlers={Exception: _internal_error},
        middleware=compression_middleware(settings.compression),
    )
    graphql = GraphQLEndpoint(app.state, settings, persisted, timer)
    app.router.routes.extend(
        [
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", _healthz),
            Route("/readyz", _readyz),
            Route("/metrics", metrics),
        ]
    )
    return app


def _persisted_queries(settings: Settings, client: redis.Redis | None) -> PersistedQueries:
    store: QueryStore
    if client is not None:
        store = RedisQueryStore(
            client, f"{settings.cache.redis_prefix}apq:", settings.apq.redis_ttl
        )
    else:
        store = MemoryQueryStore(settings.apq.max_entries)
    allow_list = None
    if settings.apq.allow_list is not None:
        try:
            allow_list = load_allow_list(settings.apq.allow_list)
        except ValueError as exc:
            raise ConfigError([f"apq.allow_list: {exc}"]) from None
    return PersistedQueries(store, allow_list)


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _readyz(request: Request) -> Response:
    # An open circuit is reported, not failed on: every replica shares the upstream, so
    # taking this one out of rotation would not help, and partial answers still flow.
    state = request.app.state
    ready = getattr(state, "ready", False)
    sources: SourceSet | None = getattr(state, "sources", None)
    body: dict[str, Any] = {"ready": ready}
    if sources is not None:
        body["sources"] = {name: {"circuit": c} for name, c in sources.circuits().items()}
    return JSONResponse(body, status_code=200 if ready else 503)


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Never a bare 500 page or a traceback: log it, answer a GraphQL-shaped error.
    log.exception("unhandled error", path=request.url.path)
    return JSONResponse(
        {"errors": [{"message": "internal server error", "extensions": {"code": "INTERNAL"}}]},
        status_code=500,
    )
