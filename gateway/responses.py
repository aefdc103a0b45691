"""GraphQL-shaped error responses for requests refused before GraphQL runs."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from datasources import GatewayError


def error_response(
    error: GatewayError, status_code: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """``{"errors": [{"message", "extensions"}]}`` with ``status_code``, like GraphQL errors."""
    body = {"errors": [{"message": error.message, "extensions": error.extensions}]}
    return JSONResponse(body, status_code=status_code, headers=headers)
