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
from typing import Annotated, ClassVar, Protocol

import strawberry

from resolvers import check_page_size
from schema.connections import PageInfo, window
from schema.cursors import order_cursor, order_offset
from schema.money import to_amount
from schema.permissions import guarded
from schema.reads import reads
from schema.vocabulary import Channel, LoyaltyTier, OrderStatus, Segment, TicketStatus

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


@strawberry.type(description="One product in an order.")
class OrderLine:
    sku: str | None = strawberry.field(description="The product's stock-keeping unit.")
    title: str | None = strawberry.field(description="The product's name, as ordered.")
    quantity: int | None = strawberry.field(description="How many were ordered.")
    unit_price: Money | None = strawberry.field(
        description="The price of one, in the order's currency."
    )


@strawberry.type(description="An order a customer placed, from the orders source.")
class Order:
    # The model entity whose fields these are; see schema/reads.py.
    entity: ClassVar[str] = "orders"

    id: strawberry.ID = strawberry.field(description="The order's id at the orders source.")
    placed_at: datetime | None = strawberry.field(description="When the order was placed.")
    status: OrderStatus | None = strawberry.field(
        description="Where the order is; null with UPSTREAM_DATA_INVALID when the source "
        "sends a status this schema does not know."
    )
    total: Money | None = reads(
        "orders", "total_minor", "currency", description="What the order costs in all."
    )
    line_items: list[OrderLine] | None = reads(
        "orders", "lines", "currency", description="The products ordered."
    )


@strawberry.type(description="One order of a customer's orders.")
class OrderEdge:
    node: Order = strawberry.field(description="The order.")
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
    edges: list[OrderEdge] = strawberry.field(description="The orders of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="How many orders the customer has.")


@strawberry.type(description="Membership in the loyalty programme.")
class LoyaltyMembership:
    entity: ClassVar[str] = "loyalty"

    member_number: str | None = strawberry.field(
        description="The membership's number in the loyalty programme."
    )
    tier: LoyaltyTier | None = strawberry.field(
        description="The member's tier; null with UPSTREAM_DATA_INVALID when the source "
        "sends a tier this schema does not know."
    )
    points: int | None = strawberry.field(description="Points to spend.")
    member_since: date | None = strawberry.field(description="When the membership began.")


@strawberry.type(description="Consent and language for one marketing channel.")
class ChannelPreference:
    entity: ClassVar[str] = "preferences"

    channel: Channel | None = strawberry.field(
        description="The channel; null with UPSTREAM_DATA_INVALID when the source sends a "
        "channel this schema does not know."
    )
    opt_in: bool | None = strawberry.field(description="Whether the customer consents to it.")
    language: str | None = strawberry.field(
        description="ISO 639-1 code of the language to write in."
    )
    updated_at: date | None = strawberry.field(description="When the customer last chose.")


@strawberry.type(description="A support ticket the customer opened, newest first.")
class SupportTicket:
    entity: ClassVar[str] = "tickets"

    id: strawberry.ID | None = strawberry.field(description="The ticket's id at the desk.")
    subject: str | None = strawberry.field(description="What the customer wrote about.")
    status: TicketStatus | None = strawberry.field(
        description="Where the ticket is; null with UPSTREAM_DATA_INVALID when the source "
        "sends a status this schema does not know."
    )
    priority: int | None = strawberry.field(description="1 (urgent) to 4 (low).")
    opened_at: datetime | None = strawberry.field(description="When it was opened.")
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

    id: strawberry.ID = strawberry.field(description="The customer's id, as the CRM knows it.")
    first_name: str | None = strawberry.field(description="Given name.")
    last_name: str | None = strawberry.field(description="Family name.")
    name: str | None = reads(
        "customer", "first_name", "last_name", description="First and last name."
    )
    email: str | None = guarded("email", description="Email address.")
    phone: str | None = guarded("phone", description="Phone number, E.164.")
    birth_date: date | None = guarded("birthDate", description="Date of birth.")
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    city: str | None = strawberry.field(description="City of the customer's address.")
    segment: Segment | None = strawberry.field(
        description="The segment the customer is served in; null with UPSTREAM_DATA_INVALID "
        "when the source sends a segment this schema does not know."
    )
    created_at: datetime | None = strawberry.field(description="When the CRM first knew them.")
    updated_at: datetime | None = strawberry.field(
        description="When the CRM's record last changed."
    )
    loyalty: LoyaltyMembership | None = reads(
        "loyalty", description="The loyalty membership; null for customers who are no member."
    )
    preferences: list[ChannelPreference] | None = reads(
        "preferences", description="Consent per marketing channel, one entry per channel."
    )
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
        first: Annotated[
            int | None, strawberry.argument(description="The first N orders after `after`.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="An order's cursor: start after it.")
        ] = None,
        last: Annotated[
            int | None, strawberry.argument(description="The last N orders before `before`.")
        ] = None,
        before: Annotated[
            str | None, strawberry.argument(description="An order's cursor: end before it.")
        ] = None,
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
    node: Customer = strawberry.field(description="The customer.")


@strawberry.type(description="A page of the customer listing (a Relay connection).")
class CustomerConnection:
    edges: list[CustomerEdge] = strawberry.field(description="The customers of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
