"""OpenAPI document of the orders API."""

from __future__ import annotations

from .common import (
    CURSOR_PARAM,
    CUSTOMER_ID,
    ERROR,
    comma_list,
    document,
    fields_param,
    integer_param,
    json_error,
    json_response,
    path_param,
    ref,
)

_FIELDS = ["order_id", "customer_id", "placed_at", "status", "amount_minor", "currency", "lines"]
_FIELDS_PARAM = fields_param(_FIELDS, "order_id and customer_id")

DOCUMENT = document(
    "orders",
    "Sandbox Orders",
    "Orders of customers, newest first. Amounts are integers in the currency's minor unit "
    "(JPY has none, so there minor equals major). With `fields`, only the listed attributes "
    "(and order_id, customer_id) are present.",
    {
        "/orders": {
            "get": {
                "operationId": "getOrdersForCustomers",
                "summary": "One flat list of the orders of several customers, grouped by "
                "customer in the order asked.",
                "parameters": [
                    comma_list("customer_ids", "Customer ids, comma-separated.", CUSTOMER_ID, 50),
                    integer_param("limit_per_customer", "Newest orders per customer.", 100, 100),
                    _FIELDS_PARAM,
                ],
                "responses": {
                    "200": json_response("Orders and the unknown customer ids.", ref("OrderBatch")),
                    "400": json_error("Malformed ids, unknown field or more than 50 customers."),
                },
            }
        },
        "/customers/{id}/orders": {
            "get": {
                "operationId": "getCustomerOrders",
                "summary": "One customer's orders, one page at a time.",
                "parameters": [
                    path_param("id", "Customer id.", CUSTOMER_ID),
                    integer_param("limit", "Page size.", 10, 100),
                    CURSOR_PARAM,
                    _FIELDS_PARAM,
                ],
                "responses": {
                    "200": json_response("A page of orders.", ref("OrderPage")),
                    "400": json_error("Malformed id, limit, cursor or field."),
                    "404": json_error("No such customer."),
                },
            }
        },
    },
    {
        "OrderLine": {
            "type": "object",
            "required": ["sku", "title", "qty", "unit_price_minor"],
            "properties": {
                "sku": {"type": "string", "pattern": "^SKU-[0-9]{5}$"},
                "title": {"type": "string"},
                "qty": {"type": "integer", "minimum": 1, "maximum": 5},
                "unit_price_minor": {"type": "integer", "minimum": 0},
            },
        },
        "Order": {
            "type": "object",
            "required": ["order_id", "customer_id"],
            "properties": {
                "order_id": {"type": "string", "example": "O-42-3"},
                "customer_id": CUSTOMER_ID,
                "placed_at": {"type": "string", "format": "date-time"},
                "status": {
                    "type": "string",
                    "enum": ["placed", "paid", "shipped", "delivered", "cancelled", "refunded"],
                },
                "amount_minor": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Sum of qty * unit_price_minor over the lines.",
                },
                "currency": {"type": "string", "enum": ["EUR", "GBP", "USD", "SEK", "JPY"]},
                "lines": {"type": "array", "items": ref("OrderLine")},
            },
        },
        "OrderBatch": {
            "type": "object",
            "required": ["orders", "missing"],
            "properties": {
                "orders": {"type": "array", "items": ref("Order")},
                "missing": {"type": "array", "items": CUSTOMER_ID},
            },
        },
        "OrderPage": {
            "type": "object",
            "required": ["orders", "next_cursor"],
            "properties": {
                "orders": {"type": "array", "items": ref("Order")},
                "next_cursor": {"type": "string", "nullable": True},
            },
        },
        "Error": ERROR,
    },
)
