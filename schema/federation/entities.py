"""``_entities``: the router hands over representations (``{"__typename": "Customer", "id":
"42"}``) and gets the entities back, in the same order.

Every representation of a Customer goes through the path ``customers(ids:)`` takes
(``schema/lookup.py``): one batched call per source for all of them, only the sources the
operation's selection needs (demand planning sees through the ``_Entity`` union), the same
caches and the same refusals. A representation that names no entity we resolve, or whose key
is missing or malformed, gets its own BAD_USER_INPUT error at ``_entities.N``; the others
stand.
"""

from __future__ import annotations

from typing import Any, Final, NewType

import strawberry
from strawberry.annotation import StrawberryAnnotation
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.union import StrawberryUnion

from core import BadUserInput
from resolvers import RequestContext
from schema.federation.sdl import ENTITY_KEYS
from schema.lookup import customers_by_id
from schema.types import Customer

Representation = NewType("Representation", object)
# Given to the schema as an override: its values are the JSON objects the router sends.
SCALARS: Final[dict[object, Any]] = {
    Representation: strawberry.scalar(
        name="_Any",
        description="An entity representation: its __typename and key fields.",
        serialize=lambda value: value,
        parse_value=lambda value: value,
    )
}

# The entity types this subgraph resolves by key (ENTITY_KEYS says which: only Customer).
Entity = StrawberryUnion("_Entity", type_annotations=(StrawberryAnnotation(Customer),))
ENTITIES: Final = StrawberryList(StrawberryOptional(Entity))


@strawberry.type(name="_Service")
class Service:
    sdl: str


async def resolve_entities(
    info: strawberry.Info[RequestContext, None], representations: list[Representation]
) -> list[Any]:
    """The entity for each representation, None for an unknown customer, or its error."""
    out: list[Any] = [None] * len(representations)
    positions: list[int] = []
    ids: list[str] = []
    for position, representation in enumerate(representations):
        key = customer_key(representation)
        if isinstance(key, BadUserInput):
            out[position] = key
        else:
            positions.append(position)
            ids.append(key)
    if ids:
        found = await customers_by_id(info, ids, "representations")
        for position, value in zip(positions, found, strict=True):
            out[position] = value
    return out


def customer_key(representation: object) -> str | BadUserInput:
    """The customer id a representation names, or why it names none."""
    if not isinstance(representation, dict):
        return BadUserInput("a representation must be an object with __typename and its key")
    typename = representation.get("__typename")
    if not isinstance(typename, str):
        return BadUserInput("the representation has no __typename")
    if typename != "Customer":
        known = ENTITY_KEYS.get(typename)
        if known is not None:
            return BadUserInput(
                f"{typename} cannot be resolved from its {known[0]} alone here "
                "(@key(resolvable: false)); ask for it through its Customer"
            )
        return BadUserInput(f"{typename!r} is not an entity of this subgraph; expected Customer")
    value = representation.get("id")
    # ID values travel as strings, and as integers from clients that send numbers.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        return BadUserInput("the Customer representation needs its key 'id' as a non-empty string")
    return value
