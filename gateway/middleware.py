"""The ASGI middleware every request passes, outermost first."""

from __future__ import annotations

from starlette.middleware import Middleware

from core import Timer
from gateway.body_limit import BodySizeLimit
from gateway.compression import compression_middleware
from gateway.cors import cors_middleware
from gateway.headers import SecurityHeaders
from gateway.metrics import GraphQLMetrics
from gateway.observer import RequestObserver
from gateway.settings import Settings
from gateway.tracing import RequestTracing


def middleware_stack(
    settings: Settings,
    metrics: GraphQLMetrics,
    timer: Timer,
    tracing: RequestTracing | None,
) -> list[Middleware]:
    """Observation, security headers, CORS, the body limit and compression."""
    return [
        # Outermost, so refusals by the layers below are logged and timed as well.
        Middleware(RequestObserver, path="/graphql", metrics=metrics, timer=timer, tracing=tracing),
        Middleware(SecurityHeaders),
        *cors_middleware(settings),
        Middleware(BodySizeLimit, max_bytes=settings.http.max_body_bytes),
        *compression_middleware(settings.compression),
    ]
