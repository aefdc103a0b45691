"""In-process timing of the fast path against plain Strawberry and a hand-written builder.

Run: ``.venv/bin/python docs/measure_fast_path.py`` (numbers are in docs/performance.md).

Executes the same operation over in-memory ``schema.types.Customer`` objects (no I/O, no
dataloaders), so only the executor differs: 1,000 customers x (10 fields + 5 orders x 3
fields), and a one-customer query for the fixed cost per request. Email and phone are PII
fields: each is checked per customer for a partner with ``pii:read``, as in the gateway. Runs
are interleaved and the minimum and median of each are reported, so a busy machine skews all
three alike.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from auth import Identity
from schema.fastpath import FastPathSchema
from schema.types import Customer, Money, Order

LARGE = """{ customers { id firstName lastName name email phone country city segment createdAt
  orders(first: 5) { edges { node { id status placedAt } } } } }"""
SMALL = """{ first { id firstName lastName name email phone country city segment createdAt } }"""


class ReadyOrders:
    """Orders already converted, as ``OrderHistory`` hands them out: only the executor runs."""

    def __init__(self, orders: tuple[Order, ...]) -> None:
        self.orders = orders

    def __len__(self) -> int:
        return len(self.orders)

    def page(self, start: int, stop: int) -> tuple[Order, ...]:
        return self.orders[start:stop]

    def total_spent(self) -> Money | None:
        return None


def customers(count: int) -> list[Customer]:
    out = []
    for i in range(count):
        orders = tuple(
            Order(
                id=f"O-{i}-{k}",
                placed_at=datetime(2024, 1, k + 1, 9, 30, tzinfo=UTC),
                status="paid",
                total=Money.of(1000 + k, "EUR"),
                line_items=[],
            )
            for k in range(5)
        )
        out.append(
            Customer(
                id=str(i),  # type: ignore[arg-type]
                first_name="Ada",
                last_name="Lovelace",
                name="Ada Lovelace",
                email=f"ada{i}@example.org",
                phone="+44 20 7946 0000",
                birth_date=date(1990, 1, 1),
                country="GB",
                city="London",
                segment="retail",
                created_at=datetime(2020, 1, 1, tzinfo=UTC),
                updated_at=datetime(2021, 1, 1, tzinfo=UTC),
                loyalty=None,
                preferences=None,
                _orders=ReadyOrders(orders),
            )
        )
    return out


CUSTOMERS = customers(1000)


@dataclass
class Context:
    """What the PII fields' permission reads: the caller."""

    identity: Identity


CONTEXT = Context(Identity.partner("bench", ["customers:read", "pii:read"]))


@strawberry.type
class Query:
    @strawberry.field
    async def customers(self) -> list[Customer]:
        return CUSTOMERS

    @strawberry.field
    async def first(self) -> Customer:
        return CUSTOMERS[0]


def hand_written(rows: list[Customer]) -> dict[str, Any]:
    """The ceiling: the same response built directly, no GraphQL at all."""
    return {
        "customers": [
            {
                "id": c.id,
                "firstName": c.first_name,
                "lastName": c.last_name,
                "name": c.name,
                "email": c.email,
                "phone": c.phone,
                "country": c.country,
                "city": c.city,
                "segment": c.segment,
                "createdAt": c.created_at.isoformat() if c.created_at else None,
                "orders": {
                    "edges": [
                        {
                            "node": {
                                "id": o.id,
                                "status": o.status,
                                "placedAt": o.placed_at.isoformat() if o.placed_at else None,
                            }
                        }
                        for o in c._orders.page(0, 5)  # type: ignore[union-attr]
                    ]
                },
            }
            for c in rows
        ]
    }


def measure(runs: dict[str, Callable[[], Awaitable[Any]]], repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in runs}

    async def all_runs() -> None:
        for _ in range(repeats):
            for name, run in runs.items():
                gc.collect()
                start = time.perf_counter()
                await run()
                times[name].append(time.perf_counter() - start)

    asyncio.run(all_runs())
    return times


def main() -> None:
    extensions = [lambda: ParserCache(maxsize=1024), lambda: ValidationCache(maxsize=1024)]
    plain = strawberry.Schema(query=Query, extensions=extensions)
    fast = FastPathSchema(query=Query, extensions=extensions)

    async def check() -> None:
        expected = hand_written(CUSTOMERS)
        for schema in (plain, fast):
            assert (await schema.execute(LARGE, context_value=CONTEXT)).data == expected

    asyncio.run(check())

    async def hand() -> Any:
        return hand_written(CUSTOMERS)

    for title, query, repeats, extra in (
        ("1,000 customers x (10 fields + 5 orders x 3 fields)", LARGE, 20, {"hand-written": hand}),
        ("one customer, 10 fields", SMALL, 2000, {}),
    ):
        times = measure(
            {
                "strawberry": lambda q=query: plain.execute(q, context_value=CONTEXT),  # type: ignore[misc]
                "fast path": lambda q=query: fast.execute(q, context_value=CONTEXT),  # type: ignore[misc]
                **extra,
            },
            repeats,
        )
        print(title)
        for name, values in times.items():
            print(
                f"  {name:12} min {min(values) * 1e3:8.3f} ms"
                f"  median {statistics.median(values) * 1e3:8.3f} ms"
            )
        ratio = statistics.median(times["strawberry"]) / statistics.median(times["fast path"])
        print(f"  strawberry / fast path (medians): {ratio:.1f}x")
        if "hand-written" in times:
            ceiling = statistics.median(times["fast path"]) / statistics.median(
                times["hand-written"]
            )
            print(f"  fast path / hand-written (medians): {ceiling:.1f}x")


if __name__ == "__main__":
    main()
