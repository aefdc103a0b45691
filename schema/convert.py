"""Build GraphQL objects from loaded records, putting errors where their fields are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, Final, cast

from core import GatewayError, UpstreamDataInvalid
from datasources import (
    ChannelPreference as ChannelPreferenceRecord,
)
from datasources import (
    LoyaltyMembership as LoyaltyRecord,
)
from datasources import (
    Order as OrderRecord,
)
from datasources import SourceSet
from datasources import SupportTicket as TicketRecord
from resolvers import CustomerRecords
from schema.types import (
    ChannelPreference,
    Customer,
    LoyaltyMembership,
    Money,
    Order,
    OrderLine,
    SupportTicket,
)
from schema.vocabulary import CHANNEL, LOYALTY_TIER, ORDER_STATUS, SEGMENT, TICKET_STATUS

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

_ORDER_FIELDS: Final = ("id", "placed_at", "status", "total_minor", "currency", "lines")
_LINE_FIELDS: Final = ("sku", "title", "quantity", "unit_price_minor")
_LOYALTY_FIELDS: Final = ("member_number", "tier", "points", "member_since")
_PREFERENCE_FIELDS: Final = ("channel", "opt_in", "language", "updated_at")
_TICKET_FIELDS: Final = ("id", "subject", "status", "priority", "opened_at", "agent_name")
_read_order, _read_line, _read_loyalty, _read_preference, _read_ticket = (
    attrgetter(*names)
    for names in (
        _ORDER_FIELDS,
        _LINE_FIELDS,
        _LOYALTY_FIELDS,
        _PREFERENCE_FIELDS,
        _TICKET_FIELDS,
    )
)


def _field(record: Any, name: str, source: str, customer_id: str) -> Any:
    """A record's field, or the error that explains why it has none."""
    issue = record.issues.get(name)
    if issue is not None:
        return UpstreamDataInvalid(f"{name}: {issue}", source=source, customer_id=customer_id)
    return getattr(record, name)


def _fields(
    record: Any,
    names: tuple[str, ...],
    read: Callable[[Any], tuple[Any, ...]],
    source: str,
    customer_id: str,
) -> Sequence[Any]:
    """``_field`` for each of ``names``; ``read`` reads them all at once."""
    if not record.issues:
        return read(record)
    return [_field(record, name, source, customer_id) for name in names]


def build_customer(data: CustomerRecords, sources: SourceSet) -> Customer:
    values: dict[str, Any] = dict.fromkeys(PROFILE_FIELDS)
    for owner, names in sources.feeds("customer").items():
        record = data.by_source.get(owner)
        if isinstance(record, GatewayError) or record is None:
            values.update(dict.fromkeys(names, record))
        elif record.issues:
            values.update((name, _field(record, name, owner, data.id)) for name in names)
        else:
            values.update((name, getattr(record, name)) for name in names)
        if "segment" in names:
            values["segment"] = SEGMENT.member(values["segment"], owner, data.id)
    first, last = values["first_name"], values["last_name"]
    if isinstance(first, Exception):
        values["name"] = first
    elif isinstance(last, Exception):
        values["name"] = last
    else:
        values["name"] = " ".join(p for p in (first, last) if p) or None
    return Customer(
        id=data.id,  # type: ignore[arg-type]
        loyalty=_entity(data, sources, "loyalty", _loyalty),
        preferences=_entity(data, sources, "preferences", _preferences),
        tickets=_entity(data, sources, "tickets", _tickets),
        _orders=_entity(data, sources, "orders", SourceOrders),
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


class SourceOrders:
    """A customer's order records from one source, made Orders as they are read."""

    __slots__ = ("_customer_id", "_records", "_source")

    def __init__(self, records: tuple[OrderRecord, ...], source: str, customer_id: str) -> None:
        self._records = records
        self._source = source
        self._customer_id = customer_id

    def __len__(self) -> int:
        return len(self._records)

    def page(self, start: int, stop: int) -> list[Order]:
        return [self._order(r) for r in self._records[start:stop]]

    def total_spent(self) -> Money | None:
        source, cid = self._source, self._customer_id
        totals: dict[str, int] = {}
        for r in self._records:
            # A status the source sent invalid is not one of these: the order counts.
            if r.status in _NOT_SPENT:
                continue
            minor = _field(r, "total_minor", source, cid)
            currency = _field(r, "currency", source, cid)
            # In the order an order's total reports them (``_money``).
            for value in (minor, currency):
                if isinstance(value, Exception):
                    raise value
            if minor is not None and currency is not None:
                totals[currency] = totals.get(currency, 0) + minor
        if len(totals) > 1:
            raise UpstreamDataInvalid(
                f"orders are in several currencies ({', '.join(sorted(totals))})",
                source=source,
                customer_id=cid,
            )
        if not totals:
            return None
        ((currency, minor),) = totals.items()
        return Money.of(minor, currency)

    def _order(self, record: OrderRecord) -> Order:
        source, cid = self._source, self._customer_id
        id_, placed_at, status, minor, currency, lines = _fields(
            record, _ORDER_FIELDS, _read_order, source, cid
        )
        return Order(
            id=id_,
            placed_at=placed_at,
            status=ORDER_STATUS.member(status, source, cid),
            total=_money(minor, currency),
            line_items=cast("Any", lines)
            if isinstance(lines, Exception)
            else [self._line(line, currency) for line in lines],
        )

    def _line(self, record: Any, currency: Any) -> OrderLine:
        sku, title, quantity, unit_price = _fields(
            record, _LINE_FIELDS, _read_line, self._source, self._customer_id
        )
        return OrderLine(
            sku=sku, title=title, quantity=quantity, unit_price=_money(unit_price, currency)
        )


def _loyalty(record: LoyaltyRecord, source: str, cid: str) -> LoyaltyMembership:
    number, tier, points, since = _fields(record, _LOYALTY_FIELDS, _read_loyalty, source, cid)
    return LoyaltyMembership(
        member_number=number,
        tier=LOYALTY_TIER.member(tier, source, cid),
        points=points,
        member_since=since,
    )


def _preferences(
    records: tuple[ChannelPreferenceRecord, ...], source: str, cid: str
) -> list[ChannelPreference]:
    out = []
    for r in records:
        channel, opt_in, language, updated_at = _fields(
            r, _PREFERENCE_FIELDS, _read_preference, source, cid
        )
        out.append(
            ChannelPreference(
                channel=CHANNEL.member(channel, source, cid),
                opt_in=opt_in,
                language=language,
                updated_at=updated_at,
            )
        )
    return out


def _tickets(records: tuple[TicketRecord, ...], source: str, cid: str) -> list[SupportTicket]:
    out = []
    for r in records:
        id_, subject, status, priority, opened_at, agent = _fields(
            r, _TICKET_FIELDS, _read_ticket, source, cid
        )
        out.append(
            SupportTicket(
                id=id_,
                subject=subject,
                status=TICKET_STATUS.member(status, source, cid),
                priority=priority,
                opened_at=opened_at,
                agent_name=agent,
            )
        )
    return out
