"""The root Query type."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers import RequestContext, list_customers, load_customers
from schema.convert import build_customer
from schema.types import Customer, CustomerConnection, CustomerEdge, PageInfo

MAX_IDS = 1000


@strawberry.type
class Query:
    @strawberry.field(description="One customer by id; null when no source knows the id.")
    async def customer(
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
    ) -> Customer | None:
        ctx = info.context
        (records,) = await load_customers(ctx, info._raw_info, [str(id)])
        return build_customer(records, ctx.sources) if records is not None else None

    @strawberry.field(
        description=f"Customers by id, in the order asked; null for unknown ids. "
        f"At most {MAX_IDS} ids."
    )
    async def customers(
        self, info: strawberry.Info[RequestContext, None], ids: list[strawberry.ID]
    ) -> list[Customer | None]:
        from datasources import BadRequest

        if len(ids) > MAX_IDS:
            raise BadRequest(f"at most {MAX_IDS} ids per query, got {len(ids)}")
        ctx = info.context
        loaded = await load_customers(ctx, info._raw_info, [str(i) for i in ids])
        return [build_customer(r, ctx.sources) if r is not None else None for r in loaded]

    @strawberry.field(description="All customers, page by page, optionally changed since a time.")
    async def customer_list(
        self,
        info: strawberry.Info[RequestContext, None],
        first: int = 20,
        after: str | None = None,
        updated_since: datetime | None = None,
    ) -> CustomerConnection:
        ctx = info.context
        page = await list_customers(ctx, info._raw_info, first, after, updated_since)
        edges = [
            CustomerEdge(cursor=page.next_cursor or "", node=build_customer(c, ctx.sources))
            for c in page.customers
        ]
        return CustomerConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.next_cursor is not None, end_cursor=page.next_cursor
            ),
        )
