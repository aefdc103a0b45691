"""``[contract]``: who may read the schema's SDL over HTTP and ask for query plans
(docs/contracts.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ContractSettings(BaseModel):
    """``/graphql/schema.graphql`` and ``X-Query-Plan`` are open in development; in
    production they need ``scope``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scope: str = Field(
        default="schema:read",
        min_length=1,
        description="the scope a production caller needs to read /graphql/schema.graphql "
        "and to ask for query plans (X-Query-Plan)",
    )
