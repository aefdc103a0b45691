"""The orders API (JSON): a flat order list for a batch of customers, and per-customer pages."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import params
from .data import Dataset, Order
from .keys import is_customer_id
from .params import BadRequest
from .responses import ORJSONResponse, bad_request, error

MAX_BATCH = 50
MAX_PER_CUSTOMER = 100
MAX_PAGE = 100
ORDER_FIELDS = tuple(field.name for field in dataclasses.fields(Order))
_ALWAYS = frozenset({"order_id", "customer_id"})


def create_orders_app(dataset: Dataset) -> Starlette:
    """The orders sub-app over `dataset`."""

    async def batch(request: Request) -> Response:
        query = request.query_params
        ids = params.split_list(params.required(query, "customer_ids"))
        wanted = params.batch_keys(ids, "customer_ids", MAX_BATCH, is_customer_id)
        fields = params.fields(query, ORDER_FIELDS)
        per_customer = params.integer(
            query, "limit_per_customer", default=MAX_PER_CUSTOMER, low=1, high=MAX_PER_CUSTOMER
        )
        return ORJSONResponse(
            {
                "orders": [
                    _record(order, fields)
                    for customer_id in wanted
                    for order in dataset.orders(customer_id)[:per_customer]
                ],
                "missing": [c for c in wanted if not dataset.exists(c)],
            }
        )

    async def per_customer(request: Request) -> Response:
        customer_id: str = request.path_params["id"]
        if not is_customer_id(customer_id):
            raise BadRequest(f"malformed customer id {customer_id!r}")
        query = request.query_params
        limit = params.integer(query, "limit", default=10, low=1, high=MAX_PAGE)
        offset = params.decode_cursor(query)
        fields = params.fields(query, ORDER_FIELDS)
        if not dataset.exists(customer_id):
            return error(404, "not found")
        orders = dataset.orders(customer_id)
        end = offset + limit
        return ORJSONResponse(
            {
                "orders": [_record(order, fields) for order in orders[offset:end]],
                "next_cursor": params.encode_cursor(end) if end < len(orders) else None,
            }
        )

    return Starlette(
        routes=[
            Route("/orders", batch, methods=["GET"]),
            Route("/customers/{id}/orders", per_customer, methods=["GET"]),
        ],
        exception_handlers={BadRequest: bad_request},
    )


def requested_keys(path: str, query: QueryParams, body: bytes) -> list[str]:
    """The customer ids a request asks for, as sent."""
    if path == "/orders":
        return params.split_list(query.get("customer_ids", ""))
    parts = path.split("/")
    return [parts[2]] if len(parts) == 4 and parts[1] == "customers" else []


def _record(order: Order, fields: frozenset[str] | None) -> dict[str, Any]:
    return {
        name: getattr(order, name)
        for name in ORDER_FIELDS
        if fields is None or name in _ALWAYS or name in fields
    }
