"""The deterministic dataset behind the four APIs: the source of truth tests compare against.

Every record is generated on demand from `random.Random(f"{seed}:{id}...")`, so startup is
instant, any customer can be produced independently, and a given seed always gives the same data.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .keys import customer_ref, is_customer_id, member_number
from .settings import SandboxSettings
from .vocabulary import (
    CENTS_TO_MINOR,
    CHANNELS,
    COUNTRIES,
    ORDER_STATUS_WEIGHTS,
    ORDER_STATUSES,
    PRODUCTS,
    SEGMENT_WEIGHTS,
    SEGMENTS,
    TIER_WEIGHTS,
    TIERS,
    Country,
)

FIRST_CREATED = datetime(2015, 1, 1, tzinfo=UTC)
LAST_CREATED = datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
DATA_HORIZON = datetime(2026, 11, 1, tzinfo=UTC)
_OLDEST_BIRTH = date(1940, 1, 1)
_YOUNGEST_BIRTH = date(2006, 12, 31)


@dataclass(frozen=True)
class Customer:
    """A CRM customer."""

    id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    birth_date: date
    country: str
    city: str
    segment: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OrderLine:
    """One product on an order; prices in minor units of the order's currency."""

    sku: str
    title: str
    qty: int
    unit_price_minor: int


@dataclass(frozen=True)
class Order:
    """An order; `amount_minor` is the sum of its lines' `qty * unit_price_minor`."""

    order_id: str
    customer_id: str
    placed_at: datetime
    status: str
    amount_minor: int
    currency: str
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True)
class LoyaltyMember:
    """A customer's loyalty membership."""

    customer_id: str
    number: str
    tier: str
    points: int
    member_since: date


@dataclass(frozen=True)
class ChannelPreference:
    """A customer's consent for one contact channel."""

    customer_id: str
    customer_ref: str
    channel: str
    opt_in: bool
    language: str
    updated: date


class Dataset:
    """All generated records for one `SandboxSettings`; each instance keeps its own cache."""

    def __init__(self, settings: SandboxSettings, cache_size: int = 20_000) -> None:
        self.size = settings.customers
        self._seed = settings.seed
        cache = functools.lru_cache(maxsize=cache_size)
        self._cached_customer = cache(self._customer)
        self._cached_orders = cache(self._orders)
        self._cached_loyalty = cache(self._loyalty)
        self._cached_preferences = cache(self._preferences)

    def customer(self, customer_id: str) -> Customer | None:
        """The customer with this id, or None if there is none."""
        return self._cached_customer(customer_id)

    def orders(self, customer_id: str) -> tuple[Order, ...]:
        """The customer's orders, newest first; empty for unknown customers."""
        return self._cached_orders(customer_id)

    def loyalty(self, customer_id: str) -> LoyaltyMember | None:
        """The customer's loyalty membership; None for non-members and unknown customers."""
        return self._cached_loyalty(customer_id)

    def preferences(self, customer_id: str) -> tuple[ChannelPreference, ...]:
        """The customer's channel preferences in channel order; empty for unknown customers."""
        return self._cached_preferences(customer_id)

    def ids(self) -> range:
        """All customer ids as integers, in order; `str(i)` is the id."""
        return range(1, self.size + 1)

    def exists(self, customer_id: str) -> bool:
        """True if `customer_id` is a well-formed id of a generated customer."""
        return is_customer_id(customer_id) and int(customer_id) <= self.size

    def _random(self, customer_id: str, facet: str) -> random.Random:
        # One independent stream per facet, so adding a field to orders never shifts customers.
        return random.Random(f"{self._seed}:{customer_id}{facet}")

    def _customer(self, customer_id: str) -> Customer | None:
        if not self.exists(customer_id):
            return None
        rng = self._random(customer_id, "")
        country = rng.choice(COUNTRIES)
        city, area_code = rng.choice(country.cities)
        first_name = rng.choice(country.first_names)
        last_name = rng.choice(country.last_names)
        created_at = _moment(rng, FIRST_CREATED, LAST_CREATED)
        return Customer(
            id=customer_id,
            first_name=first_name,
            last_name=last_name,
            email=f"{_mailbox(first_name)}.{_mailbox(last_name)}{customer_id}@example.com",
            phone=f"+{country.dialling_code} {area_code} {rng.randrange(10**6, 10**7)}",
            birth_date=_OLDEST_BIRTH
            + timedelta(days=rng.randrange((_YOUNGEST_BIRTH - _OLDEST_BIRTH).days + 1)),
            country=country.code,
            city=city,
            segment=rng.choices(SEGMENTS, SEGMENT_WEIGHTS)[0],
            created_at=created_at,
            updated_at=_moment(rng, created_at, DATA_HORIZON),
        )

    def _orders(self, customer_id: str) -> tuple[Order, ...]:
        customer = self.customer(customer_id)
        if customer is None:
            return ()
        rng = self._random(customer_id, ":orders")
        currency = _country(customer.country).currency
        moments = sorted(
            _moment(rng, customer.created_at, DATA_HORIZON) for _ in range(rng.randint(0, 12))
        )
        orders = []
        for n, placed_at in enumerate(moments, start=1):
            lines = tuple(_order_line(rng, currency) for _ in range(rng.randint(1, 4)))
            orders.append(
                Order(
                    order_id=f"O-{customer_id}-{n}",
                    customer_id=customer_id,
                    placed_at=placed_at,
                    status=rng.choices(ORDER_STATUSES, ORDER_STATUS_WEIGHTS)[0],
                    amount_minor=sum(line.qty * line.unit_price_minor for line in lines),
                    currency=currency,
                    lines=lines,
                )
            )
        return tuple(reversed(orders))

    def _loyalty(self, customer_id: str) -> LoyaltyMember | None:
        customer = self.customer(customer_id)
        if customer is None:
            return None
        rng = self._random(customer_id, ":loyalty")
        if rng.random() >= 0.75:
            return None
        return LoyaltyMember(
            customer_id=customer_id,
            number=member_number(customer_id),
            tier=rng.choices(TIERS, TIER_WEIGHTS)[0],
            points=rng.randint(0, 250_000),
            member_since=_moment(rng, customer.created_at, DATA_HORIZON).date(),
        )

    def _preferences(self, customer_id: str) -> tuple[ChannelPreference, ...]:
        customer = self.customer(customer_id)
        if customer is None:
            return ()
        rng = self._random(customer_id, ":preferences")
        chosen = set(rng.sample(CHANNELS, rng.randint(1, len(CHANNELS))))
        language = _country(customer.country).language
        return tuple(
            ChannelPreference(
                customer_id=customer_id,
                customer_ref=customer_ref(customer_id),
                channel=channel,
                opt_in=rng.random() < 0.6,
                language=language,
                updated=_moment(rng, customer.created_at, DATA_HORIZON).date(),
            )
            for channel in CHANNELS
            if channel in chosen
        )


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randint(0, int((end - start).total_seconds())))


def _mailbox(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_name.lower() if ch.isalnum())


def _country(code: str) -> Country:
    return next(country for country in COUNTRIES if country.code == code)


def _order_line(rng: random.Random, currency: str) -> OrderLine:
    sku, title, cents = rng.choice(PRODUCTS)
    return OrderLine(
        sku=sku,
        title=title,
        qty=rng.randint(1, 5),
        unit_price_minor=round(cents * CENTS_TO_MINOR[currency]),
    )
