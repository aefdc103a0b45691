"""The closed vocabularies as GraphQL enums, and the rule for an upstream word outside one.

An upstream value matches an enum value by its name, ignoring case (``"delivered"``,
``"DELIVERED"``). Any other word is an ``UPSTREAM_DATA_INVALID`` error at that field only:
the field is null with the error, the rest of the answer stands (docs/contracts.md). The
enum's values are the words the sources are written with, so writes send them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any, TypeVar

import strawberry

from core import UpstreamDataInvalid

Word = TypeVar("Word", bound=Enum)


@strawberry.enum(description="Where an order is in its life.")
class OrderStatus(Enum):
    PLACED = strawberry.enum_value("placed", description="Ordered, not yet paid.")
    PAID = strawberry.enum_value("paid", description="Paid, not yet shipped.")
    SHIPPED = strawberry.enum_value("shipped", description="On its way.")
    DELIVERED = strawberry.enum_value("delivered", description="Received by the customer.")
    CANCELLED = strawberry.enum_value(
        "cancelled", description="Cancelled before it shipped; never counted as spent."
    )
    REFUNDED = strawberry.enum_value(
        "refunded", description="Paid back to the customer; never counted as spent."
    )


@strawberry.enum(description="A loyalty programme tier, lowest first.")
class LoyaltyTier(Enum):
    BRONZE = strawberry.enum_value("bronze", description="The tier every member starts in.")
    SILVER = strawberry.enum_value("silver", description="The second tier.")
    GOLD = strawberry.enum_value("gold", description="The third tier.")
    PLATINUM = strawberry.enum_value("platinum", description="The highest tier.")


@strawberry.enum(description="A marketing channel a customer consents to, or not.")
class Channel(Enum):
    EMAIL = strawberry.enum_value("email", description="Email to the customer's address.")
    SMS = strawberry.enum_value("sms", description="Text messages to the customer's phone.")
    PUSH = strawberry.enum_value("push", description="Notifications in the mobile apps.")
    POST = strawberry.enum_value("post", description="Letters to the customer's address.")


@strawberry.enum(description="The commercial segment a customer is served in.")
class Segment(Enum):
    RETAIL = strawberry.enum_value("retail", description="Consumers buying for themselves.")
    PREMIUM = strawberry.enum_value("premium", description="Consumers with a paid membership.")
    VIP = strawberry.enum_value("vip", description="Consumers looked after personally.")
    BUSINESS = strawberry.enum_value("business", description="Companies buying for their staff.")


@strawberry.enum(description="Where a support ticket is.")
class TicketStatus(Enum):
    OPEN = strawberry.enum_value("open", description="Waiting for an agent.")
    PENDING = strawberry.enum_value("pending", description="Waiting for the customer.")
    SOLVED = strawberry.enum_value("solved", description="Answered; it may still reopen.")
    CLOSED = strawberry.enum_value("closed", description="Done for good.")


def _words(enum: type[Word]) -> Mapping[str, Word]:
    words = {member.name.lower(): member for member in enum}
    words.update((str(member.value).lower(), member) for member in enum)
    return MappingProxyType(words)


class Vocabulary:
    """One enum's upstream words; ``member`` turns a mapped value into the enum's member."""

    __slots__ = ("_enum", "_expected", "_field", "_words")

    def __init__(self, enum: type[Enum], field: str) -> None:
        self._enum = enum
        self._field = field
        self._words = _words(enum)
        self._expected = ", ".join(member.name for member in enum)

    def member(self, value: Any, source: str, customer_id: str) -> Any:
        """The member ``value`` names; None and errors stay as they are; any other value
        becomes the ``UpstreamDataInvalid`` the field then holds."""
        if value is None or isinstance(value, Exception):
            return value
        member = self._words.get(value.lower()) if isinstance(value, str) else None
        if member is not None:
            return member
        return UpstreamDataInvalid(
            f"{self._field}: {value!r} is not a {self._enum.__name__} (expected one of "
            f"{self._expected}, in any case)",
            source=source,
            customer_id=customer_id,
        )


ORDER_STATUS = Vocabulary(OrderStatus, "status")
LOYALTY_TIER = Vocabulary(LoyaltyTier, "tier")
CHANNEL = Vocabulary(Channel, "channel")
SEGMENT = Vocabulary(Segment, "segment")
TICKET_STATUS = Vocabulary(TicketStatus, "status")
