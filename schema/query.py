"""The root Query type.

Who may read which customer is checked here, before anything is loaded; which fields of a
customer they may see is checked on the fields themselves (see schema/permissions.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from auth import can_list_customers, can_read_customer
from core import BadRequest, Forbidden
from resolvers import RequestContext, list_customers, load_customers
from schema.convert import build_customer
from schema.gateway_schema import operation_wanted
from schema.refusals import read_refusal
from schema.types import Customer, CustomerConnection, CustomerEdge, PageInfo

MAX_IDS = 1000


@strawberry.type
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
        self, info: strawberry.Info[RequestContext, None], id: strawberry.ID
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
        self, info: strawberry.Info[RequestContext, None], ids: list[strawberry.ID]
    ) -> list[Customer | None]:
        if len(ids) > MAX_IDS:
            raise BadRequest(f"at most {MAX_IDS} ids per query, got {len(ids)}")
        ctx = info.context
        wanted = [str(i) for i in ids]
        allowed = [i for i in wanted if can_read_customer(ctx.identity, i)]
        loaded = await load_customers(ctx, operation_wanted(info), allowed) if allowed else []
        by_id = dict(zip(allowed, loaded, strict=True))
        out: list[Any] = []
        for i in wanted:
            if i not in by_id:
                # Null with its own FORBIDDEN error; the customers the caller may read stand.
                out.append(read_refusal(ctx.identity, i))
            else:
                records = by_id[i]
                out.append(build_customer(records, ctx.sources) if records is not None else None)
        return out

    @strawberry.field(
        description="All customers, page by page. With updatedSince, the delta query: only "
        "customers the primary source changed since then (see docs/sync.md)."
    )
    async def customer_list(
        self,
        info: strawberry.Info[RequestContext, None],
        first: int = 20,
        after: str | None = None,
        updated_since: datetime | None = None,
    ) -> CustomerConnection:
        ctx = info.context
        if not can_list_customers(ctx.identity):
            raise Forbidden("not allowed to list customers: it needs customers:read")
        page = await list_customers(ctx, operation_wanted(info), first, after, updated_since)
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
