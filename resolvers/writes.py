"""Writes: change a customer at the sources that own the fields, then read it back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core import BadRequest
from datasources import SourceSet, Wanted, Write
from resolvers.context import RequestContext
from resolvers.customers import CustomerRecords, load_customers


@dataclass(frozen=True, slots=True)
class ClientKey:
    """A write's idempotency: the client's key argument (if any), the fingerprint of the
    operation it came in (document and variables), and the field's place in the answer."""

    argument: str | None
    operation: str
    field: str


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
    key: ClientKey,
) -> CustomerRecords | None:
    """Apply the writes in order, then load the customer as it is now.

    A client key (the argument, else the request's Idempotency-Key header) is first bound
    to the operation it came with: the same key with another operation or input is refused
    with ``IDEMPOTENCY_KEY_REUSED`` before anything is written. Each upstream write carries
    a key derived from the client's key alone or, without one, from this request: our
    retries reuse it, and a client retrying with its key changes nothing twice. The first
    failed write stops the rest and is the field's error.
    """
    # Refused before the key is bound: a retry within the limits may still use it.
    await ctx.writes.spend(len(writes))
    client_key = key.argument or ctx.idempotency_key
    if client_key is not None:
        # Per caller: one caller's keys neither block nor replay another's.
        scoped = f"{ctx.identity.rate_limit_key}\0{client_key}"
        await ctx.key_bindings.bind(scoped, key.operation)
        seed = f"{scoped}\0{key.field}"
    else:
        seed = f"{ctx.write_seed}\0{key.field}"
    try:
        await ctx.sources.update(
            customer_id, writes, seed, caller_token=ctx.caller_token, budget=ctx.budget
        )
    finally:
        # Also after a failure: a write whose answer was lost may still have been applied.
        ctx.forget(customer_id)
    (records,) = await load_customers(ctx, wanted, [customer_id])
    return records
