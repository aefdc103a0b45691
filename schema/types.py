"""The unified Customer and its parts, as GraphQL types.

Values already loaded are plain attributes (no resolver per scalar); a customer's orders
stay records until a query reads a page of them or their total. A field whose source
failed or sent an invalid value holds the error itself: graphql-core raises an exception
found as a field value at that field's path, so only that field is null. Personal data
fields are guarded: who may read them is decided by ``auth.permissions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Protocol

import strawberry

from resolvers import check_page_size
from schema.connections import PageInfo, window
from schema.cursors import order_cursor, order_offset
from schema.money import to_amount
from schema.permissions import guarded
from schema.reads import reads

# The largest page of orders; a customer's orders are loaded whole, so this bounds only
# the response.
MAX_ORDERS_PAGE = 100
DEFAULT_ORDERS_PAGE = 10


@strawberry.type(description="An amount of money in a currency.")
class Money:
    amount: Decimal = strawberry.field(description="Decimal amount in major units.")
    currency: str = strawberry.field(description="ISO 4217 currency code.")
    minor_units: int = strawberry.field(description="The amount in the currency's minor unit.")

    @classmethod
    def of(cls, minor: int, currency: str) -> Money:
        return cls(amount=to_amount(minor, currency), currency=currency, minor_units=minor)


@strawberry.type
class OrderLine:
    sku: str | None
    title: str | None
    quantity: int | None
    unit_price: Money | None


@strawberry.type
class Order:
    # The model entity whose fields these are; see schema/reads.py.
    entity: ClassVar[str] = "orders"

    id: strawberry.ID
    placed_at: datetime | None
    status: str | None
    total: Money | None = reads("orders", "total_minor", "currency")
    line_items: list[OrderLine] | None = reads("orders", "lines", "currency")


@strawberry.type(description="One order of a customer's orders.")
class OrderEdge:
    node: Order
    # Encoded only when read: most queries of orders select no cursor.
    _owner: strawberry.Private[str]
    _offset: strawberry.Private[int]

    @strawberry.field(
        description="Opaque; as after (before), it resumes right after (before) this order."
    )
    def cursor(self) -> str:
        return order_cursor(self._owner, self._offset)


@strawberry.type(description="A page of a customer's orders (a Relay connection).")
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="How many orders the customer has.")


@strawberry.type(description="Membership in the loyalty programme.")
class LoyaltyMembership:
    entity: ClassVar[str] = "loyalty"

    member_number: str | None
    tier: str | None
    points: int | None
    member_since: date | None


@strawberry.type(description="Consent and language for one marketing channel.")
class ChannelPreference:
    entity: ClassVar[str] = "preferences"

    channel: str | None
    opt_in: bool | None
    language: str | None
    updated_at: date | None


@strawberry.type(description="A support ticket the customer opened, newest first.")
class SupportTicket:
    entity: ClassVar[str] = "tickets"

    id: strawberry.ID | None
    subject: str | None
    status: str | None = strawberry.field(description="OPEN, PENDING, SOLVED or CLOSED.")
    priority: int | None = strawberry.field(description="1 (urgent) to 4 (low).")
    opened_at: datetime | None
    agent_name: str | None = strawberry.field(description="Who works on it; null while open.")


class OrderHistory(Protocol):
    """A customer's orders, newest first, as loaded; each is made an ``Order`` only when read."""

    def __len__(self) -> int: ...

    def page(self, start: int, stop: int) -> Sequence[Order]:
        """The orders at positions ``start`` up to ``stop`` (fewer past the end)."""
        ...

    def total_spent(self) -> Money | None:
        """The sum of the orders not cancelled or refunded; raises when it cannot be known."""
        ...


@strawberry.type(description="One customer, unified from every configured source.")
class Customer:
    entity: ClassVar[str] = "customer"

    id: strawberry.ID
    first_name: str | None
    last_name: str | None
    name: str | None = reads(
        "customer", "first_name", "last_name", description="First and last name."
    )
    email: str | None = guarded("email")
    phone: str | None = guarded("phone")
    birth_date: date | None = guarded("birthDate")
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    city: str | None
    segment: str | None
    created_at: datetime | None
    updated_at: datetime | None
    loyalty: LoyaltyMembership | None = reads("loyalty")
    preferences: list[ChannelPreference] | None = reads("preferences")
    tickets: list[SupportTicket] | None = reads(
        "tickets", description="Support tickets, from the support desk's GraphQL API."
    )
    # Orders are converted only as far as a query reads them: a page, or the total.
    _orders: strawberry.Private[OrderHistory | Exception | None]

    @reads(
        "orders",
        "total_minor",
        "currency",
        "status",
        description="Sum of the customer's orders that were not cancelled or refunded.",
    )
    def total_spent(self) -> Money | None:
        orders = self._orders
        if isinstance(orders, Exception):
            raise orders
        return orders.total_spent() if orders is not None else None

    @reads(
        "orders",
        description="The customer's orders, newest first, as a Relay connection: first "
        f"and after page forward, last and before backward (each count 0 to "
        f"{MAX_ORDERS_PAGE}); with none of them, the first {DEFAULT_ORDERS_PAGE}.",
    )
    def orders(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> OrderConnection | None:
        check_page_size("first", first, MAX_ORDERS_PAGE)
        check_page_size("last", last, MAX_ORDERS_PAGE)
        cid = str(self.id)
        start = order_offset(after, "after", cid) if after is not None else None
        stop = order_offset(before, "before", cid) if before is not None else None
        orders = self._orders
        if isinstance(orders, Exception):
            raise orders
        if first is None and last is None:
            first = DEFAULT_ORDERS_PAGE
        count = len(orders) if orders is not None else 0
        page = window(count, first, last, start, stop)
        nodes = orders.page(page.start, page.stop) if orders is not None else ()
        edges = [
            OrderEdge(node=node, _owner=cid, _offset=page.start + i) for i, node in enumerate(nodes)
        ]
        return OrderConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=order_cursor(cid, page.start) if edges else None,
                end_cursor=order_cursor(cid, page.stop - 1) if edges else None,
            ),
            total_count=count,
        )


@strawberry.type(description="One customer of the listing.")
class CustomerEdge:
    cursor: str = strawberry.field(
        description="Opaque; as customerList's after, it resumes right after this customer."
    )
    node: Customer


@strawberry.type(description="A page of the customer listing (a Relay connection).")
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
