"""How the gateway presents itself as a subgraph of a federated supergraph (docs/federation.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# A type or a field of it, as GraphQL names them: "Customer" or "Customer.segment".
Coordinate = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")]
# A tag name as the federation spec allows it.
TagName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", max_length=128)]


class FederationSettings(BaseModel):
    """``[federation]``: off, the schema is exactly the standalone one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=False,
        description="serve the Federation 2 subgraph fields _service and _entities",
    )
    requires_scopes: bool = Field(
        default=True,
        description="declare @requiresScopes on the fields that need pii:read, so a router "
        "that enforces it asks for the scope before it calls us",
    )
    inaccessible: tuple[Coordinate, ...] = Field(
        default=(),
        description="types or fields ('Customer.segment') the supergraph's API leaves out "
        "(@inaccessible); they stay queryable by the router itself",
    )
    tags: dict[Coordinate, tuple[TagName, ...]] = Field(
        default_factory=dict,
        description="@tag names by type or field, for contracts; the PII fields are always "
        "tagged 'pii'",
    )
