"""The root Query type.

Who may read which customer is checked here, before anything is loaded; which fields of a
customer they may see is checked on the fields themselves (see schema/permissions.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from auth import can_list_customers, can_read_customer
from core import BadUserInput, Forbidden
from resolvers import RequestContext, list_customers, load_customers
from schema.connections import PageInfo
from schema.convert import build_customer
from schema.cursors import listing_cursor, listing_position
from schema.gateway_schema import operation_wanted
from schema.lookup import MAX_IDS, customers_by_id
from schema.refusals import read_refusal
from schema.types import Customer, CustomerConnection, CustomerEdge


@strawberry.type(description="Reading customers.")
class Query:
    @strawberry.field(
        description="The signed-in consumer's own customer record; null for other callers."
    )
    async def me(self, info: strawberry.Info[RequestContext, None]) -> Customer | None:
        ctx = info.context
        customer_id = ctx.identity.customer_id
        if customer_id is None:
            return None
        (records,) = await load_customers(ctx, operation_wanted(info), [customer_id])
        return build_customer(records, ctx.sources) if records is not None else None

    @strawberry.field(description="One customer by id; null when no source knows the id.")
    async def customer(
        self,
        info: strawberry.Info[RequestContext, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The customer's id.")],
    ) -> Customer | None:
        ctx = info.context
        if not can_read_customer(ctx.identity, str(id)):
            raise read_refusal(ctx.identity, str(id))
        (records,) = await load_customers(ctx, operation_wanted(info), [str(id)])
        return build_customer(records, ctx.sources) if records is not None else None

    @strawberry.field(
        description=f"Customers by id, in the order asked; null for unknown ids. "
        f"At most {MAX_IDS} ids."
    )
    async def customers(
        self,
        info: strawberry.Info[RequestContext, None],
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="The customers' ids.")],
    ) -> list[Customer | None]:
        return await customers_by_id(info, [str(i) for i in ids])

    @strawberry.field(
        description="All customers, page by page, as a Relay connection: first (0 to the "
        "primary source's largest page, 100 in the sandbox) and after, from any edge's "
        "cursor. It pages forward only: last and before are refused. With updatedSince, "
        "the delta query: only customers the primary source changed since then (see "
        "docs/sync.md); a cursor resumes only the listing with the same updatedSince."
    )
    async def customer_list(
        self,
        info: strawberry.Info[RequestContext, None],
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="A customer's cursor: start after it.")
        ] = None,
        last: Annotated[int | None, strawberry.argument(description="Refused.")] = None,
        before: Annotated[str | None, strawberry.argument(description="Refused.")] = None,
        updated_since: Annotated[
            datetime | None,
            strawberry.argument(description="Only customers changed since then; null: all."),
        ] = None,
    ) -> CustomerConnection:
        ctx = info.context
        if not can_list_customers(ctx.identity):
            raise Forbidden("not allowed to list customers: it needs customers:read")
        if last is not None or before is not None:
            raise BadUserInput(
                "customerList pages forward only (the primary source's listing cannot go "
                "back): use first and after"
            )
        position = listing_position(after, "after", updated_since) if after else None
        page = await list_customers(ctx, operation_wanted(info), first, position, updated_since)
        edges = [
            CustomerEdge(
                cursor=listing_cursor(c.after, updated_since),
                node=build_customer(c.records, ctx.sources),
            )
            for c in page.customers
        ]
        return CustomerConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                # Paging forward, the spec lets this be true when edges precede after: one
                # does, the edge after names.
                has_previous_page=position is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
