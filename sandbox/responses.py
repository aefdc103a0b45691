"""JSON responses shared by the JSON APIs and the control endpoints."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .params import BadRequest


class ORJSONResponse(JSONResponse):
    """JSON rendered with orjson, which also serialises dates and datetimes (as ISO 8601)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_UTC_Z)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The `{"error": "..."}` body every JSON API answers failures with."""
    return ORJSONResponse({"error": message}, status_code=status, headers=headers)


async def bad_request(request: Request, exc: Exception) -> Response:
    """Exception handler turning BadRequest into a 400 JSON error."""
    assert isinstance(exc, BadRequest)
    return error(400, str(exc))
