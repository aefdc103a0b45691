"""Cached values survive the trip through bytes exactly, issues and nesting included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from types import MappingProxyType

import pytest

from datasources.cache import CacheDecodeError, RecordCodec
from datasources.model import (
    ChannelPreference,
    CustomerProfile,
    LoyaltyMembership,
    Order,
    OrderLine,
)


def test_customer_profile_round_trips_with_dates_and_issues() -> None:
    profile = CustomerProfile(
        first_name="Ada",
        birth_date=date(1990, 5, 17),
        created_at=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
        updated_at=datetime(2024, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        issues=MappingProxyType({"email": "not a valid email"}),
    )
    codec = RecordCodec("customer")
    value, stored_at = codec.decode(codec.encode(profile, 1234.5))
    assert value == profile
    assert value.issues == {"email": "not a valid email"}
    assert value.updated_at.utcoffset() == timedelta(hours=2)
    assert stored_at == 1234.5


def test_orders_round_trip_with_nested_lines_and_their_issues() -> None:
    orders = (
        Order(
            id="O-1-1",
            placed_at=datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
            status="paid",
            total_minor=1999,
            currency="EUR",
            lines=(
                OrderLine(sku="A", title="Tea", quantity=2, unit_price_minor=500),
                OrderLine(sku="B", issues=MappingProxyType({"quantity": "not an integer"})),
            ),
        ),
        Order(id="O-1-2", issues=MappingProxyType({"currency": "required"})),
    )
    codec = RecordCodec("orders")
    value, _ = codec.decode(codec.encode(orders, 0))
    assert value == orders
    assert value[0].lines[1].issues == {"quantity": "not an integer"}
    assert value[1].issues == {"currency": "required"}


@pytest.mark.parametrize(
    ("entity", "value"),
    [
        ("loyalty", LoyaltyMembership("M-000001", "GOLD", 12345, date(2020, 1, 2))),
        ("preferences", (ChannelPreference("email", True, "nl", date(2021, 11, 20)),)),
        ("preferences", ()),
        ("customer", None),
        ("loyalty", None),
    ],
)
def test_every_entity_and_unknown_customers_round_trip(entity: str, value: object) -> None:
    codec = RecordCodec(entity)
    assert codec.decode(codec.encode(value, 7.0)) == (value, 7.0)


def test_entries_of_another_shape_are_refused() -> None:
    codec = RecordCodec("customer")
    with pytest.raises(CacheDecodeError):
        codec.decode(b'[1.0, {"no_such_field": 1}]')
    with pytest.raises(CacheDecodeError):
        codec.decode(b"not json")
