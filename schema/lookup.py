"""Customers by id, as every root field that takes ids answers them: ``customers(ids:)`` and
the federation's ``_entities``. One path, so both load through the same dataloaders and
caches, in one batch per source, and refuse the same customers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import strawberry

from auth import can_read_customer
from core import BadRequest
from resolvers import RequestContext, load_customers
from schema.convert import build_customer
from schema.gateway_schema import operation_wanted
from schema.refusals import read_refusal

MAX_IDS: Final = 1000


async def customers_by_id(
    info: strawberry.Info[RequestContext, None], ids: Sequence[str], what: str = "ids"
) -> list[Any]:
    """A Customer, None (unknown id) or a FORBIDDEN error per id, in the order asked."""
    if len(ids) > MAX_IDS:
        raise BadRequest(f"at most {MAX_IDS} {what} per query, got {len(ids)}")
    ctx = info.context
    allowed = [i for i in ids if can_read_customer(ctx.identity, i)]
    loaded = await load_customers(ctx, operation_wanted(info), allowed) if allowed else []
    by_id = dict(zip(allowed, loaded, strict=True))
    out: list[Any] = []
    for i in ids:
        if i not in by_id:
            # Null with its own FORBIDDEN error; the customers the caller may read stand.
            out.append(read_refusal(ctx.identity, i))
        else:
            records = by_id[i]
            out.append(build_customer(records, ctx.sources) if records is not None else None)
    return out
