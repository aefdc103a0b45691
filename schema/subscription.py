"""The root Subscription type: customer changes as upstreams announce them.

Who may hear about which customer follows the query rules (``auth.permissions``): checked
when subscribing and again for every change. The changed customer is loaded afresh through
the usual loaders, once per batch of changes, and only when the subscription selects it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from auth import READ, Identity, can_read_customer
from core import BadRequest, Forbidden
from datasources import ChangeFeed, CustomerChanged
from resolvers import RequestContext, load_customers
from schema.convert import build_customer
from schema.gateway_schema import operation_wanted
from schema.lookup import MAX_IDS
from schema.refusals import refusal
from schema.types import Customer


@strawberry.type(description="A customer whose record in one source changed.")
class CustomerChange:
    customer_id: strawberry.ID = strawberry.field(description="The customer that changed.")
    source: str = strawberry.field(description="The source whose record changed.")
    event: str = strawberry.field(description="What happened, as the source said: 'updated'.")
    at: datetime = strawberry.field(description="When the gateway heard of it.")
    customer: Customer | None = strawberry.field(
        description="The customer as it is now, loaded after the change; null if unknown."
    )


@strawberry.type(description="Hearing about changes as the sources report them.")
class Subscription:
    @strawberry.subscription(
        description="Changes to these customers, or to every customer the caller may read. "
        "Consumers hear only about themselves."
    )
    async def customer_changed(
        self,
        info: strawberry.Info[RequestContext, None],
        ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="The customers to hear about; null: all you may read."),
        ] = None,
    ) -> AsyncGenerator[CustomerChange, None]:
        ctx = info.context
        if ctx.changes is None:
            raise BadRequest("customer changes are not available here")
        wanted = _customers_heard(ctx.identity, None if ids is None else [str(i) for i in ids])
        # Refusals above are raised before the stream starts, so they end it at once.
        return _changes(info, ctx.changes, wanted, _selects_customer(info.selected_fields))


def _customers_heard(identity: Identity, ids: list[str] | None) -> list[str] | None:
    """The customers to hear about (None: all), or ``Forbidden`` as for the same query."""
    if ids is not None:
        if len(ids) > MAX_IDS:
            raise BadRequest(f"at most {MAX_IDS} ids per subscription, got {len(ids)}")
        for customer_id in ids:
            if not can_read_customer(identity, customer_id):
                raise refusal(identity, customer_id, "hear about", READ)
        return ids
    if identity.customer_id is not None:
        return [identity.customer_id]
    if READ not in identity.scopes:
        raise Forbidden("not allowed to hear about customers: it needs customers:read")
    return None


async def _changes(
    info: strawberry.Info[RequestContext, None],
    feed: ChangeFeed,
    customer_ids: list[str] | None,
    load: bool,
) -> AsyncGenerator[CustomerChange, None]:
    ctx = info.context
    async with feed.subscribe(customer_ids) as subscription:
        async for batch in subscription:
            heard = [c for c in batch if can_read_customer(ctx.identity, c.customer_id)]
            customers = await _load(info, heard) if load and heard else {}
            for change in heard:
                yield CustomerChange(
                    customer_id=strawberry.ID(change.customer_id),
                    source=change.source,
                    event=change.event,
                    at=change.at,
                    customer=customers.get(change.customer_id),
                )


async def _load(
    info: strawberry.Info[RequestContext, None], changes: Sequence[CustomerChanged]
) -> dict[str, Customer | None]:
    # Each batch is a new round: its own loaders (nothing loaded before is reused) and deadline.
    round_ = info.context.renewed()
    ids = list(dict.fromkeys(c.customer_id for c in changes))
    loaded = await load_customers(round_, operation_wanted(info), ids)
    return {
        cid: build_customer(records, round_.sources) if records is not None else None
        for cid, records in zip(ids, loaded, strict=True)
    }


def _selects_customer(fields: Sequence[Any]) -> bool:
    """Whether the subscription's selection reads ``customer``, in fragments too."""
    for field in fields:
        for selection in field.selections:
            if isinstance(selection, SelectedField) and selection.name == "customer":
                return True
            if isinstance(selection, FragmentSpread | InlineFragment) and _selects_customer(
                [selection]
            ):
                return True
    return False
