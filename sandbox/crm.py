"""The CRM API (JSON): customers by id, in batches and as pages, and idempotent PATCH."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import params
from .data import Customer
from .edits import CustomerStore, EditRejected, IdempotencyLog, StoredResult, fingerprint
from .keys import is_customer_id
from .notices import ChangeNotifier
from .params import BadRequest
from .responses import ORJSONResponse, bad_request, error

MAX_BATCH = 100
MAX_PAGE = 100
CUSTOMER_FIELDS = tuple(field.name for field in dataclasses.fields(Customer))


def create_crm_app(
    store: CustomerStore, size: int, notifier: ChangeNotifier | None = None
) -> Starlette:
    """The CRM sub-app over `store`, whose customers have ids 1..`size`."""
    answers = IdempotencyLog()

    async def batch(request: Request) -> Response:
        ids = params.split_list(params.required(request.query_params, "ids"))
        wanted = params.batch_keys(ids, "ids", MAX_BATCH, is_customer_id)
        fields = params.fields(request.query_params, CUSTOMER_FIELDS)
        found = {customer_id: store.get(customer_id) for customer_id in wanted}
        return ORJSONResponse(
            {
                "data": [_record(c, fields) for c in found.values() if c is not None],
                "missing": [customer_id for customer_id, c in found.items() if c is None],
            }
        )

    async def one(request: Request) -> Response:
        customer_id = _path_id(request)
        fields = params.fields(request.query_params, CUSTOMER_FIELDS)
        customer = store.get(customer_id)
        if customer is None:
            return error(404, "not found")
        return ORJSONResponse({"data": _record(customer, fields)})

    async def listing(request: Request) -> Response:
        query = request.query_params
        limit = params.integer(query, "limit", default=20, low=1, high=MAX_PAGE)
        after = params.decode_cursor(query)
        since = params.timestamp(query, "updated_since")
        fields = params.fields(query, CUSTOMER_FIELDS)
        page: list[Customer] = []
        total = 0
        for number in range(1, size + 1):
            customer = store.get(str(number))
            if customer is None or (since is not None and customer.updated_at < since):
                continue
            total += 1
            if number > after and len(page) <= limit:
                page.append(customer)
        more = len(page) > limit
        page = page[:limit]
        next_cursor = params.encode_cursor(int(page[-1].id)) if more else None
        return ORJSONResponse(
            {
                "data": [_record(c, fields) for c in page],
                "next_cursor": next_cursor,
                "total": total,
            }
        )

    async def patch(request: Request) -> Response:
        customer_id = _path_id(request)
        body = await request.body()
        key = request.headers.get("idempotency-key")
        identity = fingerprint(customer_id, body)
        try:
            stored = answers.replay(key, identity) if key else None
        except EditRejected as exc:
            return error(exc.status, str(exc))
        changed = stored is None
        if stored is None:
            stored = StoredResult(identity, *_apply(store, customer_id, body))
            if key:
                answers.remember(key, stored)
        response = Response(stored.body, stored.status, media_type="application/json")
        if notifier is not None and changed and stored.status == 200:
            # Sent once the PATCH is answered, as a CRM's webhook follows its own commit.
            response.background = BackgroundTask(notifier.customers_changed, [customer_id])
        return response

    return Starlette(
        routes=[
            Route("/customers/batch", batch, methods=["GET"]),
            Route("/customers/{id}", one, methods=["GET"]),
            Route("/customers/{id}", patch, methods=["PATCH"]),
            Route("/customers", listing, methods=["GET"]),
        ],
        exception_handlers={BadRequest: bad_request},
    )


def requested_keys(path: str, query: QueryParams, body: bytes) -> list[str]:
    """The customer ids a request asks for, as sent; [] for the list endpoint."""
    if path == "/customers/batch":
        return params.split_list(query.get("ids", ""))
    prefix = "/customers/"
    return [path.removeprefix(prefix)] if path.startswith(prefix) else []


def _apply(store: CustomerStore, customer_id: str, body: bytes) -> tuple[int, bytes]:
    try:
        changes = orjson.loads(body)
    except orjson.JSONDecodeError:
        return 400, orjson.dumps({"error": "body must be JSON"})
    try:
        customer = store.patch(customer_id, changes)
    except EditRejected as exc:
        return exc.status, orjson.dumps({"error": str(exc)})
    return 200, orjson.dumps({"data": _record(customer, None)}, option=orjson.OPT_UTC_Z)


def _path_id(request: Request) -> str:
    customer_id: str = request.path_params["id"]
    if not is_customer_id(customer_id):
        raise BadRequest(f"malformed customer id {customer_id!r}")
    return customer_id


def _record(customer: Customer, fields: frozenset[str] | None) -> dict[str, Any]:
    return {
        name: getattr(customer, name)
        for name in CUSTOMER_FIELDS
        if fields is None or name == "id" or name in fields
    }
