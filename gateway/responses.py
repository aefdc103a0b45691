"""GraphQL-shaped error responses: for requests refused before GraphQL runs, and the status
of a GraphQL result that is a request error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from core import BadRequest, GatewayError
from gateway.request_errors import JSON, status_of
from gateway.request_record import request_record


class ErrorResponse(JSONResponse):
    """A JSON error body that also tells the request's record which error codes it carries."""

    def __init__(
        self,
        body: Mapping[str, Any],
        status_code: int,
        codes: tuple[str, ...],
        headers: Mapping[str, str] | None = None,
        media_type: str = JSON,
    ) -> None:
        super().__init__(body, status_code=status_code, headers=headers, media_type=media_type)
        self.codes = codes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = request_record(scope.get("state"))
        if record is not None:
            record.refused = True
            record.add_errors(self.codes)
        await super().__call__(scope, receive, send)


def error_response(error: GatewayError, headers: Mapping[str, str] | None = None) -> ErrorResponse:
    """``{"errors": [{"message", "extensions"}]}`` with the error's own status and headers,
    like GraphQL errors; ``headers`` adds what only the caller knows (an auth challenge)."""
    body = error_body(error.message, error.extensions)
    return ErrorResponse(body, error.status, (error.code,), {**error.headers, **(headers or {})})


def request_error_response(state: Any, error: GatewayError | HTTPException) -> ErrorResponse:
    """The answer to a request refused before (or instead of) running, in the media type
    ``negotiate`` chose and with the status ``status_of`` gives its code."""
    strict = getattr(state, "strict", False)
    headers: Mapping[str, str] = {}
    if isinstance(error, HTTPException):
        # Strawberry's own refusals: with our reading and checks in front, a rare case.
        body = error_body(error.reason, {"code": BadRequest.code})
        status, codes = error.status_code, (BadRequest.code,)
    else:
        body = error_body(error.message, error.extensions)
        status, codes = status_of(error.code, strict=strict), (error.code,)
        headers = error.headers
    media_type = getattr(state, "media_type", JSON)
    return ErrorResponse(body, status, codes, headers, media_type=media_type)


def answer_request_error(
    state: Any, result: ExecutionResult, response: GraphQLHTTPResponse
) -> None:
    """A result that failed before execution (no data, no error of a field) is a request
    error: with graphql-response+json it has no ``data`` and a 4xx (set on the view's
    sub-response); with application/json it stays 200 with ``data: null``."""
    errors = result.errors or []
    if result.data is not None or any(e.path is not None for e in errors):
        return
    if not getattr(state, "strict", False) or getattr(state, "streaming", False):
        return
    response.pop("data", None)
    code = (errors[0].extensions or {}).get("code") if errors else None
    sub_response = getattr(state, "sub_response", None)
    if isinstance(code, str) and sub_response is not None:
        sub_response.status_code = status_of(code, strict=True)
    elif sub_response is not None:
        sub_response.status_code = 400


def error_body(message: str, extensions: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL response with one request error and no ``data``."""
    return {"errors": [{"message": message, "extensions": dict(extensions)}]}
