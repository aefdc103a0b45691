"""The two references of the large-list scenario, over the same customers held in memory.

``strawberry_result`` executes the large-list query with plain Strawberry and default
resolvers over ready objects (what the GraphQL executor alone costs); ``comprehension_result``
builds the same dictionary by hand (the ceiling). Both end in ``orjson.dumps``, as a server would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
import strawberry

from sandbox import SandboxSettings
from sandbox.data import Customer as CustomerRecord
from sandbox.data import Dataset
from sandbox.data import Order as OrderRecord


@strawberry.type
class Order:
    id: strawberry.ID
    status: str
    placed_at: datetime


@strawberry.type
class OrderEdge:
    node: Order


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]


@strawberry.type
class Customer:
    id: strawberry.ID
    first_name: str
    last_name: str
    email: str
    phone: str
    birth_date: date
    country: str
    city: str
    segment: str
    created_at: datetime
    all_orders: strawberry.Private[list[Order]]

    @strawberry.field
    def orders(self, first: int = 10) -> OrderConnection:
        return OrderConnection(edges=[OrderEdge(node=o) for o in self.all_orders[:first]])


@dataclass(frozen=True)
class Records:
    """The customers and their orders, as the sandbox generates them."""

    customers: list[CustomerRecord]
    orders: dict[str, tuple[OrderRecord, ...]]


def load_records(ids: list[str], customers: int) -> Records:
    dataset = Dataset(SandboxSettings(customers=customers))
    found = [c for c in (dataset.customer(i) for i in ids) if c is not None]
    return Records(found, {c.id: dataset.orders(c.id) for c in found})


def strawberry_runner(records: Records) -> Callable[[str, dict[str, Any]], bytes]:
    """Execute a query over ready Strawberry objects; returns the encoded response."""
    objects = [
        Customer(
            id=strawberry.ID(c.id),
            first_name=c.first_name,
            last_name=c.last_name,
            email=c.email,
            phone=c.phone,
            birth_date=c.birth_date,
            country=c.country,
            city=c.city,
            segment=c.segment,
            created_at=c.created_at,
            all_orders=[
                Order(id=strawberry.ID(o.order_id), status=o.status, placed_at=o.placed_at)
                for o in records.orders[c.id]
            ],
        )
        for c in records.customers
    ]

    @strawberry.type
    class Query:
        @strawberry.field
        def customers(self, ids: list[strawberry.ID]) -> list[Customer]:
            return objects

    schema = strawberry.Schema(query=Query)

    def run(query: str, variables: dict[str, Any]) -> bytes:
        result = schema.execute_sync(query, variable_values=variables)
        if result.errors:
            raise RuntimeError(f"reference query failed: {result.errors[0]}")
        return orjson.dumps({"data": result.data})

    return run


def comprehension_result(records: Records, first_orders: int) -> bytes:
    """The large-list answer built by hand, the fastest way Python can."""
    orders = records.orders
    return orjson.dumps(
        {
            "data": {
                "customers": [
                    {
                        "id": c.id,
                        "firstName": c.first_name,
                        "lastName": c.last_name,
                        "email": c.email,
                        "phone": c.phone,
                        "birthDate": c.birth_date.isoformat(),
                        "country": c.country,
                        "city": c.city,
                        "segment": c.segment,
                        "createdAt": c.created_at.isoformat(),
                        "orders": {
                            "edges": [
                                {
                                    "node": {
                                        "id": o.order_id,
                                        "status": o.status,
                                        "placedAt": o.placed_at.isoformat(),
                                    }
                                }
                                for o in orders[c.id][:first_orders]
                            ]
                        },
                    }
                    for c in records.customers
                ]
            }
        }
    )
