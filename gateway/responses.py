"""GraphQL-shaped error responses for requests refused before GraphQL runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from core import GatewayError
from gateway.request_record import request_record


class ErrorResponse(JSONResponse):
    """A JSON error body that also tells the request's record which error codes it carries."""

    def __init__(
        self,
        body: Mapping[str, Any],
        status_code: int,
        codes: tuple[str, ...],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(body, status_code=status_code, headers=headers)
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
    body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
    return ErrorResponse(body, error.status, (error.code,), {**error.headers, **(headers or {})})
