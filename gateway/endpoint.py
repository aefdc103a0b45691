"""The /graphql endpoint: Strawberry's ASGI view with our request context, persisted
queries, the GraphQL-over-HTTP rules (``graphql_http.py``), batching, streams for
subscriptions, the prepared lane, and a faster JSON encoder."""

from __future__ import annotations

from datetime import timedelta

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
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

from core import BadRequest, GatewayError, OperationResolutionFailed, Timer
from gateway.apq import PersistedQueries
from gateway.batching import run_batch
from gateway.cached_answers import CachedAnswers
from gateway.contexts import RequestContexts
from gateway.cors import origin_allowed
from gateway.error_codes import ErrorCodes, code_errors
from gateway.graphiql import GraphiQLPage
from gateway.graphql_http import (
    ReadingRules,
    RequestAdapter,
    negotiate,
    read_operations,
    refused_operation,
)
from gateway.query_plan import QueryPlans, without_planned_calls
from gateway.request_errors import JSON
from gateway.request_record import OperationRecorder, request_record
from gateway.response_cache import ResponseCache
from gateway.responses import answer_request_error, request_error_response
from gateway.runtime import GatewayState
from gateway.settings import Settings
from gateway.subscriptions import (
    ConnectionContext,
    SubscriptionSocket,
    TextFrames,
    accept_connection,
)
from resolvers import RequestContext, ResponseFreshness
from schema import GatewaySchema, build_schema


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
        state: GatewayState,
        settings: Settings,
        persisted: PersistedQueries | None,
        timer: Timer,
        response_cache: ResponseCache | None = None,
    ) -> None:
        super().__init__(
            build_schema(
                settings.limits,
                introspection=settings.server.introspection_enabled,
                field_suggestions=settings.server.field_suggestions_enabled,
                parser_cache_size=settings.server.parser_cache_size,
                validation_cache_size=settings.server.validation_cache_size,
                extra_extensions=[OperationRecorder, ErrorCodes],
                fast_path=settings.server.fast_path,
                federation=settings.federation,
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
        self._state = state
        self._settings = settings
        self._persisted = persisted
        self._reading = ReadingRules(settings.http.max_body_bytes, settings.http.max_batch)
        self._graphiql = GraphiQLPage(settings.server.graphiql_assets)
        self._get_cache_control = settings.apq.get_cache_control
        # Answers differ by caller: a cache may only reuse one for the same credentials.
        self._vary = f"authorization, {settings.auth.api_key_header}"
        self._server = settings.server
        plans = QueryPlans(
            open_to_all=settings.server.mode == "development", scope=settings.contract.scope
        )
        self._contexts = RequestContexts(state, settings.server, timer, settings.freshness, plans)
        self._api_key_header = settings.auth.api_key_header
        schema = self.schema
        self._fast_path = schema.fast_path if isinstance(schema, GatewaySchema) else None
        self._cached = CachedAnswers(response_cache) if response_cache is not None else None

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        context = self._contexts.context(request, response)
        # The answer's Age comes from what this request loaded.
        request.state.freshness = context.freshness
        # The response cache reads what the answer was built from.
        request.state.context = context
        return context

    async def on_ws_connect(self, context: RequestContext) -> UnsetType:
        assert isinstance(context, ConnectionContext)
        runtime = self._state.started
        await accept_connection(
            context, runtime.authenticator, runtime.rate_limiter, self._api_key_header
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

        rate_limiter = self._state.started.rate_limiter
        return await run_batch(request_data, run_one, context.identity, rate_limiter)

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
        plan = context.budget.plan
        dry_run = plan is not None and plan.dry_run
        if method == "POST" and not dry_run:
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
            if exc.operation_type is OperationType.MUTATION and dry_run:
                message = "X-Query-Plan: dry-run plans queries; a mutation would write"
                raise BadRequest(message) from None
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
        plan = (result.extensions or {}).get("queryPlan")
        if plan is not None and plan["dryRun"]:
            without_planned_calls(result)
        if result.errors:
            code_errors(result.errors)
        # Only a complete answer, served with no warning (stale data ...), may be kept by
        # HTTP caches; its Age says how old its oldest data is. A query plan is of one run:
        # never kept.
        extensions = result.extensions or {}
        request.state.cacheable = (
            not result.errors and not extensions.get("warnings") and "queryPlan" not in extensions
        )
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

    async def _respond(self, request: Request) -> Response:
        """The answer, from the response cache when it holds it."""
        cached = self._cached
        if (
            cached is not None
            and request.method in ("GET", "POST")
            and not getattr(request.state, "streaming", False)
            # Set by AuthGuard on requests that run an operation, and only on those.
            and hasattr(request.state, "identity")
            # An answer that says how fresh it is holds this moment's ages: never reused.
            and not self._contexts.shows_freshness(request)
        ):
            item = await self._operations(request)
            if not isinstance(item, list):
                return await cached.respond(request, item, lambda: self._execute(request))
        return await self._execute(request)

    async def _execute(self, request: Request) -> Response:
        response = await self._run_prepared(request)
        if response is None:
            response = await self.run(request)
        return response

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
            response = await self._respond(request)
        except (GatewayError, HTTPException) as exc:
            response = request_error_response(request.state, exc)
        else:
            cacheable = getattr(request.state, "cacheable", False)
            if self._get_cache_control and request.method == "GET" and cacheable:
                response.headers["cache-control"] = self._get_cache_control
                response.headers["vary"] = self._vary
                freshness: ResponseFreshness | None = getattr(request.state, "freshness", None)
                age = freshness.age() if freshness is not None else None
                if age is not None:
                    response.headers["age"] = str(int(age))
        await response(scope, receive, send)
