"""``/graphql/schema.graphql``: the schema's SDL over HTTP, for partners whose production
gateway has introspection off (docs/contracts.md)."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from auth import Identity
from core import Forbidden, MethodNotAllowed
from gateway.responses import error_response

SCHEMA_PATH = "/graphql/schema.graphql"


class SchemaDocument:
    """Answers GET with the SDL: to anyone in development, to callers with ``scope`` in
    production. It runs behind the ``AuthGuard``, which sets the caller's identity."""

    def __init__(self, sdl: str, *, open_to_all: bool, scope: str) -> None:
        self._body = sdl.encode()
        # The SDL changes only with a deploy: clients revalidate cheaply with If-None-Match.
        self._etag = f'"{hashlib.sha256(self._body).hexdigest()[:32]}"'
        self._open_to_all = open_to_all
        self._scope = scope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self._response(Request(scope))
        await response(scope, receive, send)

    def _response(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return error_response(
                MethodNotAllowed(f"{SCHEMA_PATH} is read with GET", allow="GET, HEAD")
            )
        identity: Identity = request.state.identity
        if not self._open_to_all and self._scope not in identity.scopes:
            return error_response(Forbidden(f"reading the schema needs the {self._scope} scope"))
        headers = {"ETag": self._etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == self._etag:
            return Response(status_code=304, headers=headers)
        return Response(self._body, media_type="text/plain; charset=utf-8", headers=headers)
