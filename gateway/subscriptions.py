"""GraphQL subscriptions over WebSocket (graphql-transport-ws): who is connecting, and what
may run on the socket.

Browsers cannot set headers on a WebSocket, so the credentials travel in the
``connection_init`` payload (``{"Authorization": "Bearer ..."}`` or the API key header's
name) and are checked there by the same authenticator and rate limiter as HTTP requests.
A refused connection is closed with 4403 before any operation runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import orjson
import structlog
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from auth import Authenticator, IdentityRateLimiter, bearer_token
from core import AuthUnavailable, RateLimited, Unauthenticated
from resolvers import RequestContext

log = structlog.get_logger("customer_graph.gateway")


class ConnectionContext(RequestContext):
    """The context of one WebSocket connection; Strawberry fills ``connection_params``."""

    connection_params: dict[str, Any] | None = None


async def accept_connection(
    context: ConnectionContext,
    authenticator: Authenticator,
    rate_limiter: IdentityRateLimiter,
    api_key_header: str,
) -> None:
    """Set the connection's identity from its ``connection_init`` payload, or reject it."""
    params = context.connection_params
    client = getattr(context.request, "client", None)
    address = client.host if client else "unknown"
    authorization = _param(params, "authorization")
    try:
        identity = await authenticator.authenticate(
            authorization, _param(params, api_key_header), address
        )
        await rate_limiter.hit(identity)
    except (Unauthenticated, AuthUnavailable, RateLimited) as exc:
        log.warning("websocket refused", reason=exc.message, code=exc.code, client=address)
        raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from None
    context.identity = identity
    context.caller_token = bearer_token(authorization)


class TextFrames(ASGIWebSocketAdapter):
    """Sends every message as a text frame, as graphql-transport-ws has them: graphql-ws
    (and so Apollo's GraphQLWsLink) closes the socket with 4004 on a binary frame."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class SubscriptionSocket(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """graphql-transport-ws for subscriptions only.

    One context serves a whole connection; queries and mutations go over HTTP, where each
    gets its own loaders and deadline. A subscription renews both for every change it
    delivers (``RequestContext.renewed``).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["schema"] = cast("BaseSchema", _SubscriptionsOnly(kwargs["schema"]))
        super().__init__(**kwargs)


class _SubscriptionsOnly:
    """The schema as the socket sees it: any other operation gets an ``error`` message
    ("queries are not allowed"), after the query limits were checked."""

    def __init__(self, schema: BaseSchema) -> None:
        self._schema = schema

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> Any:
        return await self._schema.subscribe(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
        )


def _param(params: dict[str, Any] | None, name: str) -> str | None:
    """A connection parameter by name, in any letter case, when it is text."""
    for key, value in (params or {}).items():
        if isinstance(key, str) and key.lower() == name.lower() and isinstance(value, str):
            return value
    return None
