"""Pages of the primary source's customer listing that start right after any customer.

An upstream listing hands out one cursor per page. To resume after any customer, a
position is that page's cursor plus how many of its customers to skip: the page is asked
again and the skipped customers dropped. This relies on what cursor listings do (a cursor
names a place in the listing, so a page asked from it with any limit starts at the same
customer); the limit asked is the fewest that fill the page, so a resume costs one
listing call unless it needs more than the upstream's largest page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import BadRequest, BadUserInput
from datasources import ListedPage, Wanted
from resolvers.context import RequestContext
from resolvers.customers import CustomerRecords, load_customers

# An upstream that answers short pages could otherwise keep a page from filling for long.
MAX_LISTING_CALLS = 4


@dataclass(frozen=True, slots=True)
class ListingPosition:
    """Right after the first ``skip`` customers of the page ``page_cursor`` starts (None:
    the listing's first page)."""

    page_cursor: str | None
    skip: int


@dataclass(frozen=True, slots=True)
class ListedCustomer:
    """A customer of a page, and the position right after it."""

    records: CustomerRecords
    after: ListingPosition


@dataclass(frozen=True, slots=True)
class CustomerPage:
    customers: list[ListedCustomer]
    has_next_page: bool


def check_page_size(argument: str, value: int | None, limit: int) -> None:
    """Refuse a negative or oversized ``first``/``last`` of a connection: ``BAD_USER_INPUT``
    naming the argument and its limit."""
    if value is None or 0 <= value <= limit:
        return
    if value < 0:
        raise BadUserInput(f"{argument} must not be negative (0 to {limit}), got {value}")
    raise BadUserInput(f"{argument} must be at most {limit}, got {value}")


async def list_customers(
    ctx: RequestContext,
    wanted: Wanted,
    first: int,
    after: ListingPosition | None,
    updated_since: datetime | None,
) -> CustomerPage:
    """Up to ``first`` customers of the primary's listing from ``after`` on, joined with the
    other sources' records."""
    sources = ctx.sources
    limit = sources.listing_limit()
    if limit is None:
        raise BadRequest("the primary source has no listing endpoint", source=sources.primary)
    check_page_size("first", first, limit)
    fields = wanted[sources.primary]
    ctx.provenance.listed()
    position = after or ListingPosition(None, 0)
    taken: list[tuple[str, ListingPosition]] = []
    loader = ctx.loader(sources.primary, fields)
    for _ in range(MAX_LISTING_CALLS):
        skip = position.skip
        # At least one customer, even for first: 0, to tell whether any follow.
        size = min(skip + max(first - len(taken), 1), limit)
        page = await sources.list_page(
            size,
            position.page_cursor,
            updated_since,
            fields,
            caller_token=ctx.caller_token,
            budget=ctx.budget,
        )
        wanted_ids = page.customer_ids[skip : skip + first - len(taken)]
        for i, cid in enumerate(wanted_ids, start=skip):
            loader.prime(cid, page.records[cid])
            taken.append((cid, _after(position.page_cursor, i, page)))
        more_here = len(page.customer_ids) > skip + len(wanted_ids)
        if more_here or page.next_cursor is None or len(taken) == first:
            has_next = more_here or page.next_cursor is not None
            break
        position = ListingPosition(page.next_cursor, 0)
    else:
        has_next = True
    loaded = await load_customers(ctx, wanted, [cid for cid, _ in taken])
    customers = [
        ListedCustomer(records, resume)
        for records, (_, resume) in zip(loaded, taken, strict=True)
        if records is not None
    ]
    return CustomerPage(customers, has_next)


def _after(page_cursor: str | None, index: int, page: ListedPage) -> ListingPosition:
    """The position right after the customer at ``index`` of the page ``page_cursor`` gave."""
    if index == len(page.customer_ids) - 1 and page.next_cursor is not None:
        # The page's last customer: the next page starts right after it, with nothing to skip.
        return ListingPosition(page.next_cursor, 0)
    return ListingPosition(page_cursor, index + 1)
