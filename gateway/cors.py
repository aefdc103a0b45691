"""Which browser origins may call the gateway: ``http.cors_origins``, and in development
mode any page served from this machine (a frontend dev server on localhost:3000, say).

The same rule answers CORS requests and WebSocket handshakes from other origins.
"""

from __future__ import annotations

import re

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from gateway.settings import Settings

# Any port of the loopback names; a page elsewhere cannot be on them.
_LOCAL_ORIGIN = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?"
# Apollo Client's client awareness headers, request ids, and idempotency keys of writes.
_CLIENT_HEADERS = (
    "apollographql-client-name",
    "apollographql-client-version",
    "x-request-id",
    "idempotency-key",
)
_EXPOSED = ["retry-after", "www-authenticate", "x-request-id"]


def allows_localhost(settings: Settings) -> bool:
    if settings.http.cors_localhost is not None:
        return settings.http.cors_localhost
    return settings.server.mode == "development"


def origin_allowed(settings: Settings, origin: str) -> bool:
    """Whether a page on ``origin`` may call the gateway (for WebSocket handshakes)."""
    if origin.rstrip("/") in settings.http.cors_origins:
        return True
    return allows_localhost(settings) and re.fullmatch(_LOCAL_ORIGIN, origin) is not None


def cors_middleware(settings: Settings) -> list[Middleware]:
    """The CORS layer, when any origin is allowed."""
    localhost = allows_localhost(settings)
    if not settings.http.cors_origins and not localhost:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.http.cors_origins),
            allow_origin_regex=_LOCAL_ORIGIN if localhost else None,
            allow_methods=["GET", "POST"],
            allow_headers=[
                "authorization",
                "content-type",
                settings.auth.api_key_header,
                *_CLIENT_HEADERS,
            ],
            expose_headers=_EXPOSED,
            max_age=settings.http.cors_max_age,
        )
    ]
