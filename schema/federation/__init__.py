"""The gateway as an Apollo Federation 2 subgraph: the SDL a router composes, and the
``_service`` and ``_entities`` fields it calls (docs/federation.md)."""

from schema.federation.entities import SCALARS
from schema.federation.query import federated_query
from schema.federation.sdl import ENTITY_KEYS, FEDERATION_SPEC, subgraph_sdl
from schema.federation.settings import FederationSettings

__all__ = [
    "ENTITY_KEYS",
    "FEDERATION_SPEC",
    "SCALARS",
    "FederationSettings",
    "federated_query",
    "subgraph_sdl",
]
