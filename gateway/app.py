"""The Starlette application: /graphql (with GraphiQL and subscriptions over WebSocket),
/webhooks/{source}, /healthz, /readyz and /metrics."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import orjson
import redis.asyncio as redis
import structlog
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    generate_latest,
)
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from auth import (
    Authenticator,
    Identity,
    IdentityRateLimiter,
    JwksCache,
    TokenVerifier,
    bearer_token,
)
from core import BadRequest, Clock, GatewayError, OperationResolutionFailed, SystemTimer, Timer
from datasources import ChangeFeed, RequestBudget, SourceMetrics, SourceSet
from gateway.apq import (
    MemoryQueryStore,
    PersistedQueries,
    QueryStore,
    RedisQueryStore,
    load_allow_list,
)
from gateway.batching import run_batch
from gateway.body_limit import BodySizeLimit
from gateway.compression import compression_middleware
from gateway.cors import cors_middleware, origin_allowed
from gateway.error_codes import ErrorCodes, code_errors
from gateway.graphiql import GraphiQLPage
from gateway.graphql_http import (
    ReadingRules,
    RequestAdapter,
    negotiate,
    read_operations,
    refused_operation,
)
from gateway.guard import AuthGuard
from gateway.headers import SecurityHeaders
from gateway.metrics import GraphQLMetrics
from gateway.observer import RequestObserver
from gateway.request_errors import JSON
from gateway.request_record import OperationRecorder, request_record
from gateway.responses import answer_request_error, error_response, request_error_response
from gateway.settings import ConfigError, Settings
from gateway.subscriptions import (
    ConnectionContext,
    SubscriptionSocket,
    TextFrames,
    accept_connection,
)
from gateway.tracing import RequestTracing, open_tracing
from gateway.upstreams import open_sources
from gateway.webhooks import WebhookEndpoint
from resolvers import RequestContext
from schema import GatewaySchema, build_schema

log = structlog.get_logger("customer_graph.gateway")

_NO_ONE = Identity.anonymous("", ())


class _StreamInstead(Exception):
    """The operation is a subscription and the client takes it as ``protocol``."""

    def __init__(self, protocol: GraphQLRequestProtocol) -> None:
        super().__init__(protocol)
        self.protocol = protocol


class GraphQLEndpoint(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with our context, persisted queries, the GraphQL-over-HTTP
    rules (gateway/graphql_http.py), batching and a faster JSON encoder."""

    graphql_transport_ws_handler_class = SubscriptionSocket
    websocket_adapter_class = TextFrames
    request_adapter_class = RequestAdapter

    def __init__(
        self,
        app_state: Any,
        settings: Settings,
        persisted: PersistedQueries | None,
        timer: Timer,
    ) -> None:
        super().__init__(
            build_schema(
                settings.limits,
                introspection=settings.server.introspection_enabled,
                parser_cache_size=settings.server.parser_cache_size,
                validation_cache_size=settings.server.validation_cache_size,
                extra_extensions=[OperationRecorder, ErrorCodes],
                fast_path=settings.server.fast_path,
            ),
            graphql_ide="graphiql" if settings.server.graphiql_enabled else None,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,
            ),
            connection_init_wait_timeout=timedelta(seconds=settings.subscriptions.init_timeout),
            max_subscriptions_per_connection=settings.subscriptions.max_per_connection,
            allowed_origins=settings.http.cors_origins,
        )
        self._state = app_state
        self._settings = settings
        self._persisted = persisted
        self._reading = ReadingRules(settings.http.max_body_bytes, settings.http.max_batch)
        self._graphiql = GraphiQLPage(settings.server.graphiql_assets)
        self._get_cache_control = settings.apq.get_cache_control
        # Answers differ by caller: a cache may only reuse one for the same credentials.
        self._vary = f"authorization, {settings.auth.api_key_header}"
        self._server = settings.server
        self._timer = timer
        self._api_key_header = settings.auth.api_key_header
        schema = self.schema
        self._fast_path = schema.fast_path if isinstance(schema, GatewaySchema) else None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        # AuthGuard sets the identity of every request that runs an operation. The GraphiQL
        # page runs none; should anything else get here, a caller with no scopes reads nothing.
        identity: Identity = getattr(request.state, "identity", _NO_ONE)
        # The deadline starts now and covers every upstream call the operation makes.
        budget = RequestBudget(
            self._timer, self._server.request_deadline, self._server.retry_budget
        )
        record = request_record(request.state)
        if record is not None:
            record.budget = budget
        # A WebSocket's caller is known only once its connection_init arrives.
        context_class = ConnectionContext if isinstance(request, WebSocket) else RequestContext
        return context_class(
            self._state.sources,
            request,
            response,
            identity=identity,
            budget=budget,
            idempotency_key=request.headers.get("idempotency-key"),
            changes=self._state.changes,
            caller_token=bearer_token(request.headers.get("authorization")),
        )

    async def on_ws_connect(self, context: RequestContext) -> UnsetType:
        assert isinstance(context, ConnectionContext)
        state = self._state
        await accept_connection(
            context, state.authenticator, state.rate_limiter, self._api_key_header
        )
        # Acknowledged without a payload.
        return UnsetType()

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        return origin_allowed(self._settings, origin)

    async def render_graphql_ide(self, request: Request) -> Response:
        return self._graphiql.render()

    async def graphiql_asset(self, request: Request) -> Response:
        if not self._server.graphiql_enabled:
            return Response("not found", status_code=404, media_type="text/plain")
        return await self._graphiql.asset(request)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # process_result sets the status of a request error here, by the accepted type.
        sub_response.media_type = getattr(request.state, "media_type", JSON)
        request.state.sub_response = sub_response
        return sub_response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type != JSON:
            response.headers["content-type"] = str(sub_response.media_type)
        return response

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        assert isinstance(request, RequestAdapter)
        return await self._operations(request.request)

    async def _operations(self, request: Request) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request's operations, read once, with persisted queries filled in."""
        found: GraphQLRequestData | list[GraphQLRequestData] | None
        found = getattr(request.state, "operations", None)
        if found is None:
            state = request.state
            protocol: GraphQLRequestProtocol = "http"
            if getattr(state, "streaming", False):
                protocol = state.stream
            found = await read_operations(request, self._reading, protocol)
            if self._persisted is not None:
                for item in found if isinstance(found, list) else [found]:
                    await self._persisted.resolve(item)
            request.state.operations = found
        return found

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET by hash alone has no query either, and is no browser asking for GraphiQL.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: RequestContext,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        if not isinstance(request_data, list):
            try:
                return await super().execute_operation(
                    request, request_adapter, request_data, context, root_value, sub_response
                )
            except _StreamInstead as stream:
                # A subscription from a client that takes a stream but listed JSON first.
                request_data.protocol = stream.protocol
                request.state.streaming = request.state.strict = True
                return await super().execute_operation(
                    request, request_adapter, request_data, context, root_value, sub_response
                )
        request.state.batch = True

        async def run_one(operation: GraphQLRequestData) -> ExecutionResult:
            # Each operation plans and loads for itself, as if it had come alone.
            own = await self.get_context(request, sub_response)
            return await self.execute_single(
                request, request_adapter, sub_response, own, root_value, operation
            )

        return await run_batch(request_data, run_one, context.identity, self._state.rate_limiter)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        method = request_adapter.method
        # Subscriptions run only on a stream (SSE, multipart) or a WebSocket.
        allowed = {OperationType.QUERY}
        if method == "POST":
            allowed.add(OperationType.MUTATION)
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            stream = getattr(request.state, "stream", None)
            if exc.operation_type is OperationType.SUBSCRIPTION and stream is not None:
                raise _StreamInstead(stream) from None
            raise refused_operation(exc.operation_type, method) from None
        except CannotGetOperationTypeError:
            raise OperationResolutionFailed(
                f"the document has no operation named {request_data.operation_name!r}"
            ) from None
        except MissingQueryError:
            raise BadRequest("the request has no 'query'") from None

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            code_errors(result.errors)
        # Only a complete, current answer may be kept by HTTP caches.
        request.state.cacheable = not result.errors and not (result.extensions or {})
        record = request_record(request.state)
        if record is not None:
            record.add_result(result.data, result.errors)
        response = await super().process_result(request, result)
        if result.errors and not getattr(request.state, "batch", False):
            answer_request_error(request.state, result, response)
        return response

    async def _run_prepared(self, request: Request) -> Response | None:
        """A POSTed JSON query already prepared by the fast path, answered without the rest
        of Strawberry's view; None for anything else, which ``run`` then answers.

        The steps are the view's own for this case: body, persisted query, context, execute,
        ``process_result``, ``create_response`` (docs/performance.md).
        """
        fast_path = self._fast_path
        if (
            fast_path is None
            or request.method != "POST"
            # A streaming transport (multipart or SSE) is the view's to choose.
            or getattr(request.state, "streaming", False)
        ):
            return None
        item = await self._operations(request)
        # A batch, a new text or a mutation goes to the view before any context is built.
        if (
            isinstance(item, list)
            or item.query is None
            or not fast_path.is_prepared(item.query, item.operation_name)
        ):
            return None
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, sub_response)
        result = await fast_path.execute_prepared(
            item.query, item.operation_name, item.variables, context, None, item.extensions
        )
        if result is None:
            return None
        response_data = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data, sub_response)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # Strawberry's own HTTP handling, plus the request rules, persisted-query errors
        # and cache headers.
        request = Request(scope, receive)
        response: Response | None
        try:
            negotiate(request, self.should_render_graphql_ide(RequestAdapter(request)))
            response = await self._run_prepared(request)
            if response is None:
                response = await self.run(request)
        except (GatewayError, HTTPException) as exc:
            response = request_error_response(request.state, exc)
        else:
            cacheable = getattr(request.state, "cacheable", False)
            if self._get_cache_control and request.method == "GET" and cacheable:
                response.headers["cache-control"] = self._get_cache_control
                response.headers["vary"] = self._vary
        await response(scope, receive, send)


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
    """
    timer = timer or SystemTimer()
    tracing = tracing or open_tracing(settings.tracing)
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
        sources: SourceSet = open_sources(
            settings, source_metrics, clock, timer, tracing.upstream if tracing else None
        )
        await sources.start()
        changes = ChangeFeed(
            settings.cache,
            source_metrics,
            clock,
            queue_size=settings.subscriptions.queue_size,
            forget_locally=sources.forget_locally,
        )
        await changes.start()
        auth_http = httpx.AsyncClient(
            timeout=settings.auth.jwt.jwks_timeout_seconds if settings.auth.jwt else 5,
            follow_redirects=False,
        )
        app.state.sources = sources
        app.state.changes = changes
        app.state.authenticator = _authenticator(settings, auth_http, clock)
        app.state.rate_limiter = IdentityRateLimiter.open(settings.limits.rate)
        app.state.ready = True
        log.info("gateway started", sources=sorted(settings.sources), mode=settings.server.mode)
        if settings.server.mode == "development":
            log.warning(
                "development mode: requests without credentials run as the anonymous "
                "developer; set server.mode = 'production' for deployments"
            )
        try:
            yield
        finally:
            app.state.ready = False
            await changes.aclose()
            await sources.aclose()
            await auth_http.aclose()
            await app.state.rate_limiter.aclose()
            if apq_redis is not None:
                await apq_redis.aclose()
            if tracing is not None:
                tracing.shutdown()

    # One registry per app: tests and multiple apps in a process never share counters.
    # The process, platform and GC collectors only read at scrape time.
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    # Operation names label series only where an allow-list bounds them.
    graphql_metrics = GraphQLMetrics(registry, name_operations=settings.apq.allow_list is not None)
    source_metrics = SourceMetrics(registry)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    middleware = [
        # Outermost, so refusals by the layers below are logged and timed as well.
        Middleware(
            RequestObserver, path="/graphql", metrics=graphql_metrics, timer=timer, tracing=tracing
        ),
        Middleware(SecurityHeaders),
    ]
    middleware.extend(cors_middleware(settings))
    middleware.append(Middleware(BodySizeLimit, max_bytes=settings.http.max_body_bytes))
    app = Starlette(
        lifespan=lifespan,
        exception_handlers={Exception: _internal_error},
        middleware=[*middleware, *compression_middleware(settings.compression)],
    )
    app.state.source_metrics = source_metrics
    endpoint = GraphQLEndpoint(app.state, settings, persisted, timer)
    # How many operations ran through compiled plans, and how many on Strawberry.
    app.state.fast_path = (
        endpoint.schema.fast_path if isinstance(endpoint.schema, GatewaySchema) else None
    )
    graphql = AuthGuard(
        endpoint,
        app.state,
        realm=settings.auth.realm,
        api_key_header=settings.auth.api_key_header,
    )
    app.router.routes.extend(
        [
            # Every method, so that the endpoint answers the others with a GraphQL-shaped 405.
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/graphiql/{name}", endpoint.graphiql_asset, methods=["GET"]),
            Route(
                "/webhooks/{source}",
                WebhookEndpoint(settings.sources, settings.secrets, app.state, clock).handle,
                methods=["POST"],
            ),
            Route("/healthz", _healthz),
            Route("/readyz", _readyz),
            Route("/metrics", metrics),
        ]
    )
    return app


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
    if request.query_params.get("verbose") in ("1", "true"):
        body["phase"] = _phase(ready, sources)
    if sources is not None:
        body["sources"] = {name: {"circuit": c} for name, c in sources.circuits().items()}
    return JSONResponse(body, status_code=200 if ready else 503)


def _phase(ready: bool, sources: SourceSet | None) -> str:
    """Why the gateway is (not) ready: starting, serving, draining or stopped."""
    if sources is None:
        return "starting"
    if sources.closed:
        return "stopped"
    # Readiness turns false before the sources close: on a signal, while requests drain.
    return "serving" if ready else "draining"


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Never a bare 500 page or a traceback: log it, answer a GraphQL-shaped error.
    log.exception("unhandled error", path=request.url.path)
    return error_response(GatewayError("internal server error"))
