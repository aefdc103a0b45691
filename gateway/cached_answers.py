"""The response cache over HTTP: a hit answered at once, a complete miss kept, and either
disclosed in a ``Cache-Status`` header (RFC 9211) with the answer's ``Age``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLRequestData

from auth import Identity
from gateway.query_plan import PLAN_HEADER
from gateway.request_errors import JSON
from gateway.request_record import request_record
from gateway.response_cache import CachedAnswer, ResponseCache
from resolvers import RequestContext

# The cache's name in Cache-Status.
CACHE_NAME = "customer-graph"


class CachedAnswers:
    """Answers one operation from ``cache`` or, on a miss, by ``compute``, keeping what may
    be kept."""

    def __init__(self, cache: ResponseCache) -> None:
        self._cache = cache

    async def respond(
        self,
        request: Request,
        operation: GraphQLRequestData,
        compute: Callable[[], Awaitable[Response]],
    ) -> Response:
        identity = getattr(request.state, "identity", None)
        query = operation.query
        # A query plan is of this run's calls: a kept answer made none.
        if not isinstance(identity, Identity) or query is None or PLAN_HEADER in request.headers:
            return await compute()
        cache = self._cache
        name, variables = operation.operation_name, operation.variables
        answer = cache.lookup(query, name, variables, identity)
        if answer is not None:
            return _hit(request, answer, cache.now())
        running = cache.begin()
        try:
            response = await compute()
        finally:
            cache.end(running)
        context = getattr(request.state, "context", None)
        body = getattr(response, "body", None)
        kept = None
        if (
            response.status_code == 200
            and getattr(request.state, "cacheable", False)
            and isinstance(context, RequestContext)
            and isinstance(body, bytes)
        ):
            kept = cache.keep(running, query, name, variables, identity, body, context.provenance)
        stored = "; stored" if kept is not None else ""
        response.headers["cache-status"] = f"{CACHE_NAME}; fwd=uri-miss{stored}"
        record = request_record(request.state)
        if record is not None:
            record.response_cache = "stored" if kept is not None else "miss"
        return response


def _hit(request: Request, answer: CachedAnswer, now: float) -> Response:
    media_type = getattr(request.state, "media_type", JSON)
    ttl = max(0, int(answer.expires - now))
    response = Response(
        answer.body,
        media_type=media_type,
        headers={
            "cache-status": f"{CACHE_NAME}; hit; ttl={ttl}",
            "age": str(max(0, int(now - answer.stored_at))),
        },
    )
    # What the access log and the metrics say of the operation that ran the first time.
    record = request_record(request.state)
    if record is not None:
        record.operation_type = "query"
        record.operation_name = answer.operation_name
        record.has_data = True
        record.response_cache = "hit"
    # Kept only without errors or extensions: as cacheable by HTTP caches as the first.
    request.state.cacheable = True
    return response
