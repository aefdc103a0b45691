"""Strawberry permission classes; every decision is made by ``auth.permissions``."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from auth import PII, can_read_field
from core import Forbidden
from resolvers import RequestContext


class CustomerFieldAccess(BasePermission):
    """Guards one Customer field; a caller who may not read it gets null and FORBIDDEN."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.message = (
            f"not allowed to read Customer.{field}: it needs the pii:read scope or "
            "access to your own customer record"
        )

    def has_permission(
        self, source: Any, info: strawberry.Info[RequestContext, None], **kwargs: Any
    ) -> bool:
        return self.allows(source, info.context)

    def allows(self, source: Any, context: RequestContext) -> bool:
        """The same decision without a resolve info: compiled plans call this per object."""
        return can_read_field(context.identity, str(source.id), self.field)

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message or "", field=self.field)


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requiresScopes",
    description="The field needs one of these sets of scopes (all scopes of a set); the "
    "customer's own token reads it too. As Apollo Federation's @requiresScopes.",
)
class RequiresScopes:
    scopes: list[list[str]]


def guarded(field: str, *, description: str) -> Any:
    """A Customer field that only callers ``can_read_field`` allows may see; its description
    and a directive in the SDL say which scope it needs."""
    permission = PermissionExtension([CustomerFieldAccess(field)], use_directives=False)
    return strawberry.field(
        extensions=[permission],
        directives=[RequiresScopes(scopes=[[PII]])],
        description=f"{description} Personal data: needs the {PII} scope, or the customer's "
        "own token; null with FORBIDDEN otherwise.",
    )
