"""OpenAPI document of the preferences API (CSV export, writes per channel)."""

from __future__ import annotations

from .common import ERROR, document, json_error, path_param

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
        },
        "/customers/{ref}/channels/{channel}": {
            "put": {
                "operationId": "setChannelPreference",
                "summary": "Set one channel's consent; updated becomes today.",
                "parameters": [
                    path_param(
                        "ref",
                        "Customer reference.",
                        {"type": "string", "pattern": "^C[0-9]{7,}$"},
                    ),
                    path_param(
                        "channel",
                        "Contact channel.",
                        {"type": "string", "enum": ["email", "sms", "push", "post"]},
                    ),
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
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "opt_in": {"type": "string", "enum": ["Y", "N"]},
                                    "language": {"type": "string", "pattern": "^[a-z]{2}$"},
                                },
                                "required": ["opt_in"],
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The channel's row, as the export has it.",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "400": json_error("Malformed reference, channel or body."),
                    "404": json_error("No such customer."),
                    "422": json_error("Idempotency-Key reused with a different body."),
                },
            }
        },
    },
    {"Error": ERROR},
)
