"""The support desk API: GraphQL over HTTP at ``/graphql``, with what it received recorded."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from ..faults import FaultTable
from .schema import SCHEMA, DeskContext
from .tickets import SupportDesk


class _DeskGraphQL(GraphQL[DeskContext, None]):
    def __init__(self, context: DeskContext) -> None:
        super().__init__(SCHEMA, graphql_ide=None, allow_queries_via_get=False)
        self._context = context

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> DeskContext:
        return self._context


def create_support_app(desk: SupportDesk, faults: FaultTable) -> GraphQL[DeskContext, None]:
    """The support desk sub-app; POST a GraphQL request to ``/graphql``."""
    return _DeskGraphQL(DeskContext(desk, faults))


def requested_keys(path: str, query: Any, body: bytes) -> list[str]:
    """The customer ids a GraphQL request asks for: its list variables, or the ``id`` of
    each entity representation."""
    request = graphql_request(body)
    keys: list[str] = []
    for value in (request or {}).get("variables", {}).values():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    keys.append(item)
                elif isinstance(item, dict) and isinstance(item.get("id"), str):
                    keys.append(item["id"])
    return keys


def graphql_request(body: bytes) -> dict[str, Any] | None:
    """The query, variables and operation name of a GraphQL request body, as received."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    variables = parsed.get("variables")
    return {
        "query": parsed.get("query"),
        "variables": variables if isinstance(variables, dict) else {},
        "operationName": parsed.get("operationName"),
    }
