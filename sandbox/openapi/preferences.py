"""OpenAPI document of the preferences API (CSV export)."""

from __future__ import annotations

from .common import ERROR, document, json_error

DOCUMENT = document(
    "preferences",
    "Sandbox Preferences",
    "Contact-channel consents by customer reference (customer 42 is C0000042).",
    {
        "/export": {
            "get": {
                "operationId": "exportPreferences",
                "summary": "CSV export, one row per customer and channel.",
                "parameters": [
                    {
                        "name": "customer",
                        "in": "query",
                        "required": True,
                        "description": "Customer reference; repeat the parameter per customer.",
                        "style": "form",
                        "explode": True,
                        "schema": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 200,
                            "items": {"type": "string", "pattern": "^C[0-9]{7,}$"},
                        },
                    }
                ],
                "responses": {
                    "200": {
                        "description": "UTF-8 with a byte-order mark, `;`-separated, header row "
                        "customer_ref;channel;opt_in;language;updated. opt_in is Y or N, "
                        "language an ISO 639-1 code, updated a dd.mm.yyyy date. Unknown "
                        "customers have no rows.",
                        "content": {
                            "text/csv": {
                                "schema": {"type": "string"},
                                "example": "customer_ref;channel;opt_in;language;updated\r\n"
                                "C0000042;email;Y;nl;20.11.2021\r\n",
                            }
                        },
                    },
                    "400": json_error("Malformed reference or more than 200 customers."),
                },
            }
        }
    },
    {"Error": ERROR},
)
