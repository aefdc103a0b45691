"""Authentication and rate limiting for /graphql, before Strawberry reads the request.

A refused request is answered here, with a GraphQL-shaped body: 401 with a
``WWW-Authenticate`` challenge, 429 with ``Retry-After``, or 503 when the identity provider's
keys cannot be fetched. The identity of an accepted request travels in the request state.
"""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from core import AuthUnavailable, RateLimited, Unauthenticated
from gateway.responses import error_response
from gateway.runtime import GatewayState

log = structlog.get_logger("customer_graph.gateway")


class AuthGuard:
    """Wraps the GraphQL endpoint; lets through only authenticated callers within their rate."""

    def __init__(
        self,
        app: ASGIApp,
        state: GatewayState,
        *,
        realm: str,
        api_key_header: str,
        operations_only: bool = True,
    ) -> None:
        self._app = app
        # False: every request is authenticated, a GET naming no operation too.
        self._operations_only = operations_only
        # Authenticator and rate limiter are opened in the lifespan, after this is built.
        self._state = state
        self._realm = realm
        self._api_key_header = api_key_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope)
        if self._operations_only and request.method == "GET" and not _names_an_operation(request):
            # The GraphiQL page, or a request without an operation: nothing runs.
            await self._app(scope, receive, send)
            return
        response = await self._refusal(request)
        if response is None:
            await self._app(scope, receive, send)
        else:
            await response(scope, receive, send)

    async def _refusal(self, request: Request) -> Response | None:
        runtime = self._state.started
        authenticator, rate_limiter = runtime.authenticator, runtime.rate_limiter
        authorization = request.headers.get("authorization")
        api_key = request.headers.get(self._api_key_header)
        address = request.client.host if request.client else "unknown"
        try:
            identity = await authenticator.authenticate(authorization, api_key, address)
        except Unauthenticated as exc:
            log.warning("authentication failed", reason=exc.message, client=address)
            return error_response(
                exc, {"WWW-Authenticate": self._challenge(exc, authorization, api_key)}
            )
        except AuthUnavailable as exc:
            return error_response(exc)
        try:
            await rate_limiter.hit(identity)
        except RateLimited as exc:
            return error_response(exc)
        request.state.identity = identity
        return None

    def _challenge(
        self, exc: Unauthenticated, authorization: str | None, api_key: str | None
    ) -> str:
        if api_key is not None and authorization is None:
            return f'ApiKey realm="{self._realm}", header="{self._api_key_header}"'
        challenge = f'Bearer realm="{self._realm}"'
        if authorization is not None:
            # RFC 6750: say why a presented token was refused (never echoing the token).
            description = exc.message.replace('"', "'")
            challenge += f', error="invalid_token", error_description="{description}"'
        return challenge


def _names_an_operation(request: Request) -> bool:
    # A persisted query is named by its hash in ``extensions``, without ``query``.
    return "query" in request.query_params or "extensions" in request.query_params
