"""The subgraph's Query: the gateway's own, plus ``_service`` and ``_entities``."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers import RequestContext
from schema.federation.entities import ENTITIES, Service, resolve_entities


def _service(info: strawberry.Info[RequestContext, None]) -> Service:
    sdl: str | None = getattr(info.schema, "subgraph_sdl", None)
    assert sdl is not None, "a subgraph Query runs only in a schema made with federation"
    return Service(sdl=sdl)


def federated_query(query: type[Any]) -> type[Any]:
    """``query`` with the two fields a federation router calls."""
    fields: dict[str, Any] = {
        "federation_entities": strawberry.field(
            name="_entities",
            resolver=resolve_entities,
            graphql_type=ENTITIES,
            description="The entities the representations name, in their order.",
        ),
        "federation_service": strawberry.field(
            name="_service", resolver=_service, description="This subgraph's SDL."
        ),
    }
    definition = query.__strawberry_definition__
    subclass = type(definition.name, (query,), fields)
    return strawberry.type(subclass, name=definition.name, description=definition.description)
