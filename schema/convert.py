"""Build GraphQL objects from loaded records, putting errors where their fields are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

from datasources import (
    ChannelPreference as ChannelPreferenceRecord,
)
from datasources import (
    GatewayError,
    SourceSet,
    UpstreamDataInvalid,
)
from datasources import (
    LoyaltyMembership as LoyaltyRecord,
)
from datasources import (
    Order as OrderRecord,
)
from resolvers import CustomerRecords
from schema.types import (
    ChannelPreference,
    Customer,
    LoyaltyMembership,
    Money,
    Order,
    OrderLine,
)

PROFILE_FIELDS: Final = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "country",
    "city",
    "segment",
    "created_at",
    "updated_at",
)

# Orders in these states never took the customer's money, or gave it back.
_NOT_SPENT: Final = frozenset({"cancelled", "refunded"})


def _field(record: Any, name: str, source: str, customer_id: str) -> Any:
    """A record's field, or the error that explains why it has none."""
    issue = record.issues.get(name)
    if issue is not None:
        return UpstreamDataInvalid(f"{name}: {issue}", source=source, customer_id=customer_id)
    return getattr(record, name)


def build_customer(data: CustomerRecords, sources: SourceSet) -> Customer:
    values: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        owner = sources.owner("customer", name)
        record = data.by_source.get(owner) if owner else None
        if isinstance(record, GatewayError) or record is None:
            values[name] = record
        else:
            values[name] = _field(record, name, owner or "", data.id)
    first, last = values["first_name"], values["last_name"]
    if isinstance(first, Exception):
        values["name"] = first
    elif isinstance(last, Exception):
        values["name"] = last
    else:
        values["name"] = " ".join(p for p in (first, last) if p) or None
    orders = _entity(data, sources, "orders", _orders)
    return Customer(
        id=data.id,  # type: ignore[arg-type]
        loyalty=_entity(data, sources, "loyalty", _loyalty),
        preferences=_entity(data, sources, "preferences", _preferences),
        total_spent=_total_spent(orders, data.id, sources.source_of("orders") or ""),
        _orders=orders,
        **values,
    )


def _entity(data: CustomerRecords, sources: SourceSet, entity: str, convert: Any) -> Any:
    source = sources.source_of(entity)
    value = data.by_source.get(source) if source else None
    if value is None or isinstance(value, GatewayError):
        return value
    return convert(value, source, data.id)


def _money(minor: Any, currency: Any) -> Any:
    if isinstance(minor, Exception):
        return minor
    if isinstance(currency, Exception):
        return currency
    if minor is None or currency is None:
        return None
    return Money.of(minor, currency)


def _orders(records: tuple[OrderRecord, ...], source: str, cid: str) -> tuple[Order, ...]:
    out = []
    for r in records:
        currency = _field(r, "currency", source, cid)
        lines = _field(r, "lines", source, cid)
        out.append(
            Order(
                id=_field(r, "id", source, cid),
                placed_at=_field(r, "placed_at", source, cid),
                status=_field(r, "status", source, cid),
                total=_money(_field(r, "total_minor", source, cid), currency),
                line_items=cast("Any", lines)
                if isinstance(lines, Exception)
                else [
                    OrderLine(
                        sku=_field(line, "sku", source, cid),
                        title=_field(line, "title", source, cid),
                        quantity=_field(line, "quantity", source, cid),
                        unit_price=_money(_field(line, "unit_price_minor", source, cid), currency),
                    )
                    for line in lines
                ],
            )
        )
    return tuple(out)


def _total_spent(orders: Any, cid: str, source: str) -> Any:
    if orders is None or isinstance(orders, Exception):
        return orders
    totals: dict[str, int] = {}
    for order in orders:
        if order.status in _NOT_SPENT:
            continue
        total = order.total
        if isinstance(total, Exception):
            return total
        if total is not None:
            totals[total.currency] = totals.get(total.currency, 0) + total.minor_units
    if len(totals) > 1:
        return UpstreamDataInvalid(
            f"orders are in several currencies ({', '.join(sorted(totals))})",
            source=source,
            customer_id=cid,
        )
    if not totals:
        return None
    ((currency, minor),) = totals.items()
    return Money.of(minor, currency)


def _loyalty(record: LoyaltyRecord, source: str, cid: str) -> LoyaltyMembership:
    return LoyaltyMembership(
        member_number=_field(record, "member_number", source, cid),
        tier=_field(record, "tier", source, cid),
        points=_field(record, "points", source, cid),
        member_since=_field(record, "member_since", source, cid),
    )


def _preferences(
    records: tuple[ChannelPreferenceRecord, ...], source: str, cid: str
) -> list[ChannelPreference]:
    return [
        ChannelPreference(
            channel=_field(r, "channel", source, cid),
            opt_in=_field(r, "opt_in", source, cid),
            language=_field(r, "language", source, cid),
            updated_at=_field(r, "updated_at", source, cid),
        )
        for r in records
    ]


# GraphQL type -> field -> (entity, model fields it reads): what the look-ahead needs.
DEMAND_TABLE: Final[Mapping[str, Mapping[str, tuple[str, tuple[str, ...]]]]] = {
    "Customer": {
        "firstName": ("customer", ("first_name",)),
        "lastName": ("customer", ("last_name",)),
        "name": ("customer", ("first_name", "last_name")),
        "email": ("customer", ("email",)),
        "phone": ("customer", ("phone",)),
        "birthDate": ("customer", ("birth_date",)),
        "country": ("customer", ("country",)),
        "city": ("customer", ("city",)),
        "segment": ("customer", ("segment",)),
        "createdAt": ("customer", ("created_at",)),
        "updatedAt": ("customer", ("updated_at",)),
        "totalSpent": ("orders", ("total_minor", "currency", "status")),
        "orders": ("orders", ()),
        "loyalty": ("loyalty", ()),
        "preferences": ("preferences", ()),
    },
    "Order": {
        "id": ("orders", ("id",)),
        "placedAt": ("orders", ("placed_at",)),
        "status": ("orders", ("status",)),
        "total": ("orders", ("total_minor", "currency")),
        "lineItems": ("orders", ("lines", "currency")),
    },
    "LoyaltyMembership": {
        "memberNumber": ("loyalty", ("member_number",)),
        "tier": ("loyalty", ("tier",)),
        "points": ("loyalty", ("points",)),
        "memberSince": ("loyalty", ("member_since",)),
    },
    "ChannelPreference": {
        "channel": ("preferences", ("channel",)),
        "optIn": ("preferences", ("opt_in",)),
        "language": ("preferences", ("language",)),
        "updatedAt": ("preferences", ("updated_at",)),
    },
}
