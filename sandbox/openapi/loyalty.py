"""OpenAPI document of the loyalty API (XML bodies)."""

from __future__ import annotations

from typing import Any

from .common import document, path_param, ref

_NS = "urn:example:loyalty"
_XML = "application/xml"
_NUMBER = {"type": "string", "pattern": "^M-[0-9]{6,}$", "example": "M-000042"}


def _xml_name(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": _NS, "prefix": "lty", **extra}


def _xml_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {_XML: {"schema": schema}}}


DOCUMENT = document(
    "loyalty",
    "Sandbox Loyalty",
    "Loyalty members by member number (customer 42 is M-000042). XML in the "
    f"{_NS} namespace, prefix lty. Points carry a thousands separator, e.g. 12,345.",
    {
        "/members/lookup": {
            "post": {
                "operationId": "lookupMembers",
                "summary": "Members by number, in the order asked; non-members are left out.",
                "requestBody": {
                    "required": True,
                    "content": {_XML: {"schema": ref("Lookup")}},
                },
                "responses": {
                    "200": _xml_response("The members found.", ref("Members")),
                    "400": _xml_response(
                        "Malformed XML or number, or more than 100 numbers.", ref("Error")
                    ),
                },
            }
        },
        "/members/{number}": {
            "get": {
                "operationId": "getMember",
                "parameters": [path_param("number", "Member number.", _NUMBER)],
                "responses": {
                    "200": _xml_response("The member.", ref("Member")),
                    "400": _xml_response("Malformed number.", ref("Error")),
                    "404": _xml_response("No such member.", ref("Error")),
                },
            }
        },
    },
    {
        "Lookup": {
            "type": "object",
            "xml": {"name": "lookup", "namespace": _NS},
            "required": ["number"],
            "properties": {
                "number": {
                    "type": "array",
                    "maxItems": 100,
                    "items": {**_NUMBER, "xml": {"name": "number", "namespace": _NS}},
                }
            },
        },
        "Member": {
            "type": "object",
            "xml": _xml_name("member"),
            "required": ["number", "tier", "points", "since"],
            "properties": {
                "number": {**_NUMBER, "xml": {"attribute": True}},
                "tier": {
                    "type": "string",
                    "enum": ["BRONZE", "SILVER", "GOLD", "PLATINUM"],
                    "xml": _xml_name("tier"),
                },
                "points": {
                    "type": "string",
                    "pattern": "^[0-9]{1,3}(,[0-9]{3})*$",
                    "example": "12,345",
                    "xml": _xml_name("points"),
                },
                "since": {"type": "string", "format": "date", "xml": _xml_name("since")},
            },
        },
        "Members": {
            "type": "object",
            "xml": _xml_name("members"),
            "properties": {"member": {"type": "array", "items": ref("Member")}},
        },
        "Error": {"type": "string", "xml": {"name": "error"}},
    },
)
