"""The Starlette application: /graphql (with GraphiQL), /healthz and /readyz."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from datasources import SourceSet
from gateway.settings import Settings
from gateway.upstreams import open_sources
from resolvers import RequestContext
from schema import DEMAND_TABLE, build_schema

log = structlog.get_logger("customer_graph.gateway")


class GraphQLEndpoint(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with our context and a faster JSON encoder."""

    def __init__(self, app_state: Any, *, graphiql: bool) -> None:
        super().__init__(build_schema(), graphql_ide="graphiql" if graphiql else None)
        self._state = app_state

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return RequestContext(self._state.sources, DEMAND_TABLE, request, response)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_app(settings: Settings) -> Starlette:
    """The gateway for ``settings``; upstream clients open and close with the lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sources: SourceSet = open_sources(settings, registry)
        app.state.sources = sources
        app.state.ready = True
        log.info("gateway started", sources=sorted(settings.sources))
        try:
            yield
        finally:
            app.state.ready = False
            await sources.aclose()

    # One registry per app: tests and multiple apps in a process never share counters.
    registry = CollectorRegistry()

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(lifespan=lifespan, exception_handlers={Exception: _internal_error})
    graphql = GraphQLEndpoint(app.state, graphiql=settings.server.graphiql)
    app.router.routes.extend(
        [
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", _healthz),
            Route("/readyz", _readyz),
            Route("/metrics", metrics),
        ]
    )
    return app


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _readyz(request: Request) -> Response:
    ready = getattr(request.app.state, "ready", False)
    return JSONResponse({"ready": ready}, status_code=200 if ready else 503)


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Never a bare 500 page or a traceback: log it, answer a GraphQL-shaped error.
    log.exception("unhandled error", path=request.url.path)
    return JSONResponse(
        {"errors": [{"message": "internal server error", "extensions": {"code": "INTERNAL"}}]},
        status_code=500,
    )
