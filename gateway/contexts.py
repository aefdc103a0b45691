"""Who a request runs as and what it may spend: the ``RequestContext`` of each HTTP request
and WebSocket connection."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from auth import Identity, bearer_token
from core import Timer
from datasources import RequestBudget
from gateway.query_plan import QueryPlans
from gateway.request_record import request_record
from gateway.runtime import GatewayState
from gateway.settings import FreshnessSettings, ServerSettings
from gateway.subscriptions import ConnectionContext
from resolvers import RequestContext

_NO_ONE = Identity.anonymous("", ())


class RequestContexts:
    """Makes the context of each request from the gateway's runtime."""

    def __init__(
        self,
        state: GatewayState,
        server: ServerSettings,
        timer: Timer,
        freshness: FreshnessSettings,
        plans: QueryPlans,
    ) -> None:
        self._state = state
        self._server = server
        self._timer = timer
        self._freshness = freshness
        self._plans = plans

    def shows_freshness(self, request: Request | WebSocket) -> bool:
        """Whether this request's answer carries ``extensions.freshness``."""
        freshness = self._freshness
        development = self._server.mode == "development"
        return freshness.shown(development, request.headers.get(freshness.header))

    def context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        # AuthGuard sets the identity of every request that runs an operation. The GraphiQL
        # page runs none; should anything else get here, a caller with no scopes reads nothing.
        identity: Identity = getattr(request.state, "identity", _NO_ONE)
        # The deadline starts now and covers every upstream call the operation makes.
        budget = RequestBudget(
            self._timer,
            self._server.request_deadline,
            self._server.retry_budget,
            self._plans.requested(request, identity),
        )
        record = request_record(request.state)
        if record is not None:
            record.budget = budget
        # A WebSocket's caller is known only once its connection_init arrives.
        context_class = ConnectionContext if isinstance(request, WebSocket) else RequestContext
        runtime = self._state.started
        return context_class(
            runtime.sources,
            request,
            response,
            identity=identity,
            key_bindings=runtime.key_bindings,
            write_limits=runtime.write_limits,
            budget=budget,
            idempotency_key=request.headers.get("idempotency-key"),
            changes=runtime.changes,
            caller_token=bearer_token(request.headers.get("authorization")),
            show_freshness=self.shows_freshness(request),
        )
