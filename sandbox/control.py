"""Control endpoints for tests and demos: health, request statistics and runtime faults."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .fault_spec import fault_from_mapping
from .faults import FaultTable
from .responses import ORJSONResponse, error
from .settings import API_NAMES, Fault
from .stats import StatsRecorder


def control_routes(stats: StatsRecorder, faults: FaultTable) -> list[Route]:
    """Routes for `/healthz`, `/_stats`, `/_stats/reset` and `/_faults`."""

    async def health(request: Request) -> Response:
        return ORJSONResponse({"status": "ok"})

    async def read_stats(request: Request) -> Response:
        return ORJSONResponse(stats.snapshot())

    async def reset_stats(request: Request) -> Response:
        stats.reset()
        return ORJSONResponse({"ok": True})

    async def read_faults(request: Request) -> Response:
        return ORJSONResponse(faults.snapshot())

    async def replace_faults(request: Request) -> Response:
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return error(400, "body must be JSON")
        try:
            faults.replace(_parse_faults(body))
        except ValueError as exc:
            return error(400, str(exc))
        return ORJSONResponse(faults.snapshot())

    async def clear_faults(request: Request) -> Response:
        faults.clear()
        return ORJSONResponse(faults.snapshot())

    return [
        Route("/healthz", health, methods=["GET"]),
        Route("/_stats", read_stats, methods=["GET"]),
        Route("/_stats/reset", reset_stats, methods=["POST"]),
        Route("/_faults", read_faults, methods=["GET"]),
        Route("/_faults", replace_faults, methods=["PUT"]),
        Route("/_faults", clear_faults, methods=["DELETE"]),
    ]


def _parse_faults(body: object) -> dict[str, Fault]:
    # Validate everything before applying anything, so a bad request changes nothing.
    if not isinstance(body, dict):
        raise ValueError('body must be an object like {"crm": {"latency_ms": 100}}')
    parsed = {}
    for api, settings in body.items():
        if api not in API_NAMES:
            raise ValueError(f"unknown API {api!r}; known: {', '.join(API_NAMES)}")
        if not isinstance(settings, dict):
            raise ValueError(f"faults for {api} must be an object")
        parsed[api] = fault_from_mapping(settings, api)
    return parsed
