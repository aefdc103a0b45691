"""The operational endpoints: /healthz, /readyz and /metrics, and the answer to an error no
layer caught."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core import GatewayError
from gateway.responses import error_response
from gateway.runtime import GatewayState

log = structlog.get_logger("customer_graph.gateway")

Endpoint = Callable[[Request], Awaitable[Response]]


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def readiness(state: GatewayState) -> Endpoint:
    """``/readyz``: 200 while the gateway takes traffic, 503 before start-up and while it
    drains; ``?verbose=1`` adds the phase."""

    async def readyz(request: Request) -> Response:
        # An open circuit is reported, not failed on: every replica shares the upstream, so
        # taking this one out of rotation would not help, and partial answers still flow.
        runtime = state.runtime
        body: dict[str, Any] = {"ready": state.ready}
        if request.query_params.get("verbose") in ("1", "true"):
            body["phase"] = _phase(state)
        if runtime is not None:
            circuits = runtime.sources.circuits()
            body["sources"] = {name: {"circuit": c} for name, c in circuits.items()}
        return JSONResponse(body, status_code=200 if state.ready else 503)

    return readyz


def _phase(state: GatewayState) -> str:
    """Why the gateway is (not) ready: starting, serving, draining or stopped."""
    if state.runtime is None:
        return "starting"
    if state.runtime.sources.closed:
        return "stopped"
    # Readiness turns false before the sources close: on a signal, while requests drain.
    return "serving" if state.ready else "draining"


def metrics(registry: CollectorRegistry) -> Endpoint:
    """``/metrics``: the app's own registry in Prometheus' text format."""

    async def scrape(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return scrape


async def internal_error(request: Request, exc: Exception) -> Response:
    # Never a bare 500 page or a traceback: log it, answer a GraphQL-shaped error.
    log.exception("unhandled error", path=request.url.path)
    return error_response(GatewayError("internal server error"))
