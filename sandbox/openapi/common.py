"""Building blocks shared by the sandbox's OpenAPI documents."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

CUSTOMER_ID: Schema = {"type": "string", "pattern": "^[1-9][0-9]*$", "example": "42"}
ERROR: Schema = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}


def document(api: str, title: str, description: str, paths: Schema, schemas: Schema) -> Schema:
    """An OpenAPI 3.0.3 document served from `/<api>`."""
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0.0", "description": description},
        "servers": [{"url": f"/{api}"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def ref(name: str) -> Schema:
    """A reference to a schema in this document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: Schema) -> Schema:
    """A response with a JSON body."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_error(description: str) -> Schema:
    """An error response with the `{"error": "..."}` body."""
    return json_response(description, ref("Error"))


def comma_list(name: str, description: str, items: Schema, max_items: int) -> Schema:
    """A required query parameter holding a comma-separated list, e.g. `ids=1,2,3`."""
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": description,
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": items, "minItems": 1, "maxItems": max_items},
    }


def fields_param(names: list[str], always: str) -> Schema:
    """The optional sparse-fieldset parameter."""
    return {
        "name": "fields",
        "in": "query",
        "required": False,
        "description": f"Comma-separated attributes to return; {always} always come back.",
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "string", "enum": names}},
    }


def integer_param(name: str, description: str, default: int, maximum: int) -> Schema:
    """An optional bounded integer query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
    }


CURSOR_PARAM: Schema = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "Opaque cursor from a previous page's next_cursor.",
    "schema": {"type": "string"},
}


def path_param(name: str, description: str, schema: Schema) -> Schema:
    """A path parameter."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }
