"""The internal customer model every source is normalized into.

Each entity is a frozen dataclass; a source's mapping fills some of its fields. ``issues``
names the fields whose upstream value was invalid (field name -> reason), so a resolver can
null exactly that field and report it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, Literal, get_args, get_origin, get_type_hints

NO_ISSUES: Final[Mapping[str, str]] = MappingProxyType({})

# The longest text a client may write to a string field the model gives no length of.
DEFAULT_MAX_LENGTH: Final = 1000


def text(max_length: int) -> Any:
    """A string field that clients may write at most ``max_length`` characters to."""
    return field(default=None, metadata={"max_length": max_length})


Entity = Literal["customer", "orders", "loyalty", "preferences", "tickets"]


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """The CRM-like facts about a customer."""

    first_name: str | None = text(100)
    last_name: str | None = text(100)
    # RFC 5321's longest forward path; E.164 numbers with room for formatting.
    email: str | None = text(254)
    phone: str | None = text(32)
    birth_date: date | None = None
    country: str | None = None
    city: str | None = text(100)
    segment: str | None = text(50)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    issues: Mapping[str, str] = field(default_factory=lambda: NO_ISSUES, compare=False)


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line item of an order; prices are in minor units of the order's currency."""

    sku: str | None = None
    title: str | None = None
    quantity: int | None = None
    unit_price_minor: int | None = None
    issues: Mapping[str, str] = field(default_factory=lambda: NO_ISSUES, compare=False)


@dataclass(frozen=True, slots=True)
class Order:
    """An order placed by a customer."""

    id: str | None = None
    placed_at: datetime | None = None
    status: str | None = None
    total_minor: int | None = None
    currency: str | None = None
    lines: tuple[OrderLine, ...] = ()
    issues: Mapping[str, str] = field(default_factory=lambda: NO_ISSUES, compare=False)


@dataclass(frozen=True, slots=True)
class LoyaltyMembership:
    """A customer's membership in the loyalty programme."""

    member_number: str | None = None
    tier: str | None = None
    points: int | None = None
    member_since: date | None = None
    issues: Mapping[str, str] = field(default_factory=lambda: NO_ISSUES, compare=False)


@dataclass(frozen=True, slots=True)
class ChannelPreference:
    """Consent and language for one marketing channel."""

    channel: str | None = text(32)
    opt_in: bool | None = None
    # The longest BCP 47 tag an application must accept.
    language: str | None = text(35)
    updated_at: date | None = None
    issues: Mapping[str, str] = field(default_factory=lambda: NO_ISSUES, compare=False)


@dataclass(frozen=True, slots=True)
class SupportTicket:
    """A support ticket a customer opened; ``priority`` runs from 1 (urgent) down."""

    id: str | None = None
    subject: str | None = None
    status: str | None = None
    priority: int | None = None
    opened_at: datetime | None = None
    agent_name: str | None = None
    issues: Mapping[str, str] = field(default_factory=lambda: NO_ISSUES, compare=False)


# Which dataclass an entity's records become, and whether a customer has one or many.
ENTITY_MODELS: Final[Mapping[str, type[Any]]] = MappingProxyType(
    {
        "customer": CustomerProfile,
        "orders": Order,
        "loyalty": LoyaltyMembership,
        "preferences": ChannelPreference,
        "tickets": SupportTicket,
    }
)
ENTITY_IS_LIST: Final[Mapping[str, bool]] = MappingProxyType(
    {"customer": False, "orders": True, "loyalty": False, "preferences": True, "tickets": True}
)

ScalarKind = Literal["string", "int", "decimal", "bool", "date", "datetime", "list"]


@dataclass(frozen=True, slots=True)
class ModelField:
    """A field of a model as the mapping sees it: its kind, for lists the item model, and
    for strings the most characters a client may write to it."""

    name: str
    kind: ScalarKind
    item_model: type[Any] | None = None
    max_length: int | None = None


_KINDS: Final[Mapping[type[Any], ScalarKind]] = MappingProxyType(
    {
        str: "string",
        int: "int",
        Decimal: "decimal",
        bool: "bool",
        date: "date",
        datetime: "datetime",
    }
)


def model_fields(model: type[Any]) -> dict[str, ModelField]:
    """The mappable fields of a model dataclass, with their kinds."""
    hints = get_type_hints(model)
    fields: dict[str, ModelField] = {}
    for f in dataclasses.fields(model):
        if f.name == "issues":
            continue
        hint = hints[f.name]
        if get_origin(hint) is tuple:
            fields[f.name] = ModelField(f.name, "list", get_args(hint)[0])
            continue
        base = next(a for a in get_args(hint) if a is not type(None))
        kind = _KINDS[base]
        longest = f.metadata.get("max_length", DEFAULT_MAX_LENGTH) if kind == "string" else None
        fields[f.name] = ModelField(f.name, kind, max_length=longest)
    return fields
