"""Writes: change a customer at the sources that own the fields, then read it back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core import BadRequest
from datasources import SourceSet, Wanted, Write
from resolvers.context import RequestContext
from resolvers.customers import CustomerRecords, load_customers


def profile_writes(sources: SourceSet, changes: Mapping[str, Any]) -> list[Write]:
    """Profile changes grouped by the source that owns each field."""
    by_source: dict[str, dict[str, Any]] = {}
    for field, value in changes.items():
        owner = sources.owner("customer", field)
        if owner is None:
            raise BadRequest(f"no source holds {field}")
        by_source.setdefault(owner, {})[field] = value
    if not by_source:
        raise BadRequest("the input changes nothing")
    return list(by_source.items())


def item_writes(sources: SourceSet, entity: str, items: Sequence[Mapping[str, Any]]) -> list[Write]:
    """One write per item of a list entity (such as one channel's preference)."""
    source = sources.source_of(entity)
    if source is None:
        raise BadRequest(f"no source holds {entity}")
    if not items:
        raise BadRequest("the input changes nothing")
    return [(source, item) for item in items]


async def update_customer(
    ctx: RequestContext,
    wanted: Wanted,
    customer_id: str,
    writes: Sequence[Write],
    idempotency_key: str | None,
) -> CustomerRecords | None:
    """Apply the writes in order, then load the customer as it is now.

    Each upstream write carries an idempotency key derived from the client's key (the
    argument, else the request's Idempotency-Key header) or, failing both, from this
    request: our retries reuse it, and a client retrying with its key changes nothing
    twice. The first failed write stops the rest and is the field's error.
    """
    seed = idempotency_key or ctx.idempotency_key or ctx.write_seed
    try:
        await ctx.sources.update(
            customer_id, writes, seed, caller_token=ctx.caller_token, budget=ctx.budget
        )
    finally:
        # Also after a failure: a write whose answer was lost may still have been applied.
        ctx.forget(customer_id)
    (records,) = await load_customers(ctx, wanted, [customer_id])
    return records
