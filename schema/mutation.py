"""The root Mutation type: changes written to the sources that own the fields.

Who may change which customer is checked here, before anything is written; the customer
returned is read back with the caller's field permissions like any other.
"""

from __future__ import annotations

import hashlib
from enum import Enum
from typing import Annotated, Any

import orjson
import strawberry
from graphql import print_ast

from auth import WRITE, can_write_customer
from resolvers import ClientKey, RequestContext, item_writes, profile_writes, update_customer
from schema.convert import build_customer
from schema.gateway_schema import operation_wanted
from schema.internals import raw_info
from schema.refusals import refusal
from schema.types import Customer
from schema.vocabulary import Channel, Segment

_KEY_HELP = (
    "Makes retries safe: the same key with the same input changes nothing twice. "
    "Defaults to the Idempotency-Key header."
)
_WHO = "The customer to change: your own id, or any with the customers:write scope."


@strawberry.input(description="Profile fields to change; fields left out stay as they are.")
class ProfileInput:
    first_name: str | None = strawberry.field(default=strawberry.UNSET, description="Given name.")
    last_name: str | None = strawberry.field(default=strawberry.UNSET, description="Family name.")
    email: str | None = strawberry.field(default=strawberry.UNSET, description="Email address.")
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Phone number, E.164."
    )
    city: str | None = strawberry.field(
        default=strawberry.UNSET, description="City of the customer's address."
    )
    segment: Segment | None = strawberry.field(
        default=strawberry.UNSET, description="The segment the customer is served in."
    )


@strawberry.input(description="Consent and language for one marketing channel.")
class ChannelPreferenceInput:
    channel: Channel = strawberry.field(description="The channel to set.")
    opt_in: bool = strawberry.field(description="Whether the customer consents to it.")
    language: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="ISO 639-1 code of the language to write in; left out: unchanged.",
    )


@strawberry.type(description="Changing customers at the sources that own their fields.")
class Mutation:
    @strawberry.mutation(
        description="Change profile fields at the sources that hold them; returns the "
        "customer as it is afterwards."
    )
    async def update_profile(
        self,
        info: strawberry.Info[RequestContext, None],
        customer_id: Annotated[strawberry.ID, strawberry.argument(description=_WHO)],
        input: Annotated[ProfileInput, strawberry.argument(description="The fields to change.")],
        idempotency_key: Annotated[str | None, strawberry.argument(description=_KEY_HELP)] = None,
    ) -> Customer | None:
        ctx = info.context
        _check_may_write(ctx, str(customer_id))
        writes = profile_writes(ctx.sources, _given(input))
        return await _write(info, str(customer_id), writes, idempotency_key)

    @strawberry.mutation(
        description="Set the consent (and language) of channels, one write per channel; "
        "returns the customer as it is afterwards."
    )
    async def update_preferences(
        self,
        info: strawberry.Info[RequestContext, None],
        customer_id: Annotated[strawberry.ID, strawberry.argument(description=_WHO)],
        input: Annotated[
            list[ChannelPreferenceInput],
            strawberry.argument(description="One entry per channel to set."),
        ],
        idempotency_key: Annotated[str | None, strawberry.argument(description=_KEY_HELP)] = None,
    ) -> Customer | None:
        ctx = info.context
        _check_may_write(ctx, str(customer_id))
        writes = item_writes(ctx.sources, "preferences", [_given(item) for item in input])
        return await _write(info, str(customer_id), writes, idempotency_key)


def _check_may_write(ctx: RequestContext, customer_id: str) -> None:
    if not can_write_customer(ctx.identity, customer_id):
        raise refusal(ctx.identity, customer_id, "change", WRITE)


async def _write(
    info: strawberry.Info[RequestContext, None],
    customer_id: str,
    writes: list[tuple[str, Any]],
    idempotency_key: str | None,
) -> Customer | None:
    ctx = info.context
    key = ClientKey(idempotency_key, _operation_fingerprint(info), str(info.path.key))
    records = await update_customer(ctx, operation_wanted(info), customer_id, writes, key)
    return build_customer(records, ctx.sources) if records is not None else None


def _operation_fingerprint(info: strawberry.Info[RequestContext, None]) -> str:
    # The operation as parsed (formatting and comments aside) with its variables: what an
    # idempotency key is bound to, so another operation or input under it is refused.
    digest = hashlib.sha256(print_ast(info.operation).encode())
    fragments = raw_info(info).fragments
    for name in sorted(fragments):
        digest.update(print_ast(fragments[name]).encode())
    digest.update(orjson.dumps(info.variable_values, option=orjson.OPT_SORT_KEYS, default=str))
    return digest.hexdigest()


def _given(value: object) -> dict[str, Any]:
    # Input attributes are named like the model's fields; UNSET ones were left out. An enum
    # member is written as the word the sources use.
    return {
        name: v.value if isinstance(v, Enum) else v
        for name, v in vars(value).items()
        if v is not strawberry.UNSET
    }
