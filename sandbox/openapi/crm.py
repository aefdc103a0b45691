"""OpenAPI document of the CRM API."""

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

_FIELDS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "country",
    "city",
    "segment",
    "created_at",
    "updated_at",
]
_SEGMENT = {"type": "string", "enum": ["retail", "premium", "vip", "business"]}
_FIELDS_PARAM = fields_param(_FIELDS, "id")
_ID_PARAM = path_param("id", "Customer id.", CUSTOMER_ID)

DOCUMENT = document(
    "crm",
    "Sandbox CRM",
    "Customers by id. With `fields`, only the listed attributes (and id) are present.",
    {
        "/customers/batch": {
            "get": {
                "operationId": "getCustomersBatch",
                "summary": "Customers by id, in the order asked, deduplicated.",
                "parameters": [
                    comma_list("ids", "Customer ids, comma-separated.", CUSTOMER_ID, 100),
                    _FIELDS_PARAM,
                ],
                "responses": {
                    "200": json_response(
                        "Found customers and the ids not found.", ref("CustomerBatch")
                    ),
                    "400": json_error("Malformed ids, unknown field or more than 100 ids."),
                },
            }
        },
        "/customers/{id}": {
            "get": {
                "operationId": "getCustomer",
                "parameters": [_ID_PARAM, _FIELDS_PARAM],
                "responses": {
                    "200": json_response("The customer.", ref("CustomerEnvelope")),
                    "400": json_error("Malformed id or unknown field."),
                    "404": json_error("No such customer."),
                },
            },
            "patch": {
                "operationId": "updateCustomer",
                "summary": "Change attributes; updated_at becomes the time of the change.",
                "parameters": [
                    _ID_PARAM,
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "Repeating a key replays the first answer without "
                        "applying the change again; reusing it for another body answers 422.",
                        "schema": {"type": "string"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("CustomerPatch")}},
                },
                "responses": {
                    "200": json_response("The updated customer.", ref("CustomerEnvelope")),
                    "400": json_error("Malformed body or attribute that cannot be changed."),
                    "404": json_error("No such customer."),
                    "422": json_error("Idempotency-Key reused with a different body."),
                },
            },
        },
        "/customers": {
            "get": {
                "operationId": "listCustomers",
                "summary": "Customers ordered by id, one page at a time.",
                "parameters": [
                    integer_param("limit", "Page size.", 20, 100),
                    CURSOR_PARAM,
                    {
                        "name": "updated_since",
                        "in": "query",
                        "required": False,
                        "description": "Only customers with updated_at at or after this time "
                        "(ISO 8601 with Z or an offset).",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    _FIELDS_PARAM,
                ],
                "responses": {
                    "200": json_response("A page of customers.", ref("CustomerPage")),
                    "400": json_error("Bad limit, cursor, updated_since or field."),
                },
            }
        },
    },
    {
        "Customer": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": CUSTOMER_ID,
                "first_name": {"type": "string"},
                "last_name": {"type": "string"},
                "email": {"type": "string", "format": "email"},
                "phone": {"type": "string", "example": "+49 30 1234567"},
                "birth_date": {"type": "string", "format": "date"},
                "country": {
                    "type": "string",
                    "enum": ["DE", "FR", "GB", "US", "NL", "ES", "IT", "SE", "JP"],
                },
                "city": {"type": "string"},
                "segment": _SEGMENT,
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
            },
        },
        "CustomerBatch": {
            "type": "object",
            "required": ["data", "missing"],
            "properties": {
                "data": {"type": "array", "items": ref("Customer")},
                "missing": {"type": "array", "items": CUSTOMER_ID},
            },
        },
        "CustomerEnvelope": {
            "type": "object",
            "required": ["data"],
            "properties": {"data": ref("Customer")},
        },
        "CustomerPage": {
            "type": "object",
            "required": ["data", "next_cursor", "total"],
            "properties": {
                "data": {"type": "array", "items": ref("Customer")},
                "next_cursor": {
                    "type": "string",
                    "nullable": True,
                    "description": "Cursor of the next page; null on the last page.",
                },
                "total": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "How many customers the whole listing has, filter applied.",
                },
            },
        },
        "CustomerPatch": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "first_name": {"type": "string", "minLength": 1},
                "last_name": {"type": "string", "minLength": 1},
                "email": {"type": "string", "minLength": 1},
                "phone": {"type": "string", "minLength": 1},
                "city": {"type": "string", "minLength": 1},
                "segment": _SEGMENT,
            },
        },
        "Error": ERROR,
    },
)
