"""The naive baseline: plain Strawberry with one resolver per field and one call per customer.

It is what a GraphQL layer over these APIs looks like without batching or look-ahead: the
root field fetches each customer from the CRM's single-id endpoint (concurrently), then every
nested field (orders, loyalty, preferences) calls its API for that one customer. It serves the
same field names as the gateway for the benchmark's queries, so the same text runs on both.
Run with ``python -m bench.naive --port 8300 --sandbox http://127.0.0.1:8100``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import httpx
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

_LOYALTY = "{urn:example:loyalty}"
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY"})


def _http(info: strawberry.Info) -> httpx.AsyncClient:
    client: httpx.AsyncClient = info.context["http"]
    return client


@strawberry.type
class Money:
    amount: Decimal
    currency: str


@strawberry.type
class Order:
    id: strawberry.ID
    status: str | None
    placed_at: str | None
    total: Money | None


@strawberry.type
class OrderEdge:
    node: Order


@strawberry.type
class OrderConnection:
    total_count: int
    edges: list[OrderEdge]


@strawberry.type
class LoyaltyMembership:
    tier: str | None
    points: int | None


@strawberry.type
class ChannelPreference:
    channel: str | None
    opt_in: bool | None


def _money(minor: int, currency: str) -> Money:
    exponent = 0 if currency in _ZERO_DECIMAL_CURRENCIES else 2
    return Money(amount=Decimal(minor).scaleb(-exponent), currency=currency)


@strawberry.type
class Customer:
    id: strawberry.ID
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    birth_date: str | None
    country: str | None
    city: str | None
    segment: str | None
    created_at: str | None
    updated_at: str | None

    @strawberry.field
    def name(self) -> str | None:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or None

    @strawberry.field
    async def orders(self, info: strawberry.Info, first: int = 10) -> OrderConnection:
        response = await _http(info).get(f"/orders/customers/{self.id}/orders?limit=100")
        response.raise_for_status()
        raw = response.json()["orders"]
        edges = [
            OrderEdge(
                node=Order(
                    id=strawberry.ID(o["order_id"]),
                    status=o["status"],
                    placed_at=o["placed_at"],
                    total=_money(o["amount_minor"], o["currency"]),
                )
            )
            for o in raw[:first]
        ]
        return OrderConnection(total_count=len(raw), edges=edges)

    @strawberry.field
    async def loyalty(self, info: strawberry.Info) -> LoyaltyMembership | None:
        response = await _http(info).get(f"/loyalty/members/M-{int(self.id):06d}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        member = ElementTree.fromstring(response.content)
        points = member.findtext(f"{_LOYALTY}points")
        return LoyaltyMembership(
            tier=member.findtext(f"{_LOYALTY}tier"),
            points=int(points.replace(",", "")) if points else None,
        )

    @strawberry.field
    async def preferences(self, info: strawberry.Info) -> list[ChannelPreference]:
        response = await _http(info).get(
            "/preferences/export", params={"customer": f"C{int(self.id):07d}"}
        )
        response.raise_for_status()
        rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
        return [ChannelPreference(channel=r["channel"], opt_in=r["opt_in"] == "Y") for r in rows]


_CUSTOMER_FIELDS = (
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


async def _customer(http: httpx.AsyncClient, customer_id: str) -> Customer | None:
    response = await http.get(f"/crm/customers/{customer_id}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    data: dict[str, Any] = response.json()["data"]
    return Customer(id=strawberry.ID(customer_id), **{f: data.get(f) for f in _CUSTOMER_FIELDS})


@strawberry.type
class Query:
    @strawberry.field
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        return await _customer(_http(info), str(id))

    @strawberry.field
    async def customers(
        self, info: strawberry.Info, ids: list[strawberry.ID]
    ) -> list[Customer | None]:
        return list(await asyncio.gather(*(_customer(_http(info), str(i)) for i in ids)))


class _Endpoint(GraphQL[dict[str, Any], None]):
    def __init__(self, app: Starlette) -> None:
        super().__init__(strawberry.Schema(query=Query), graphql_ide=None)
        self._app = app

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        return {"http": self._app.state.http}


def create_app(sandbox_url: str) -> Starlette:
    """The naive server over the sandbox at ``sandbox_url``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(base_url=sandbox_url, timeout=30) as http:
            app.state.http = http
            yield

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(lifespan=lifespan)
    app.router.routes.extend(
        [Route("/graphql", _Endpoint(app), methods=["POST"]), Route("/healthz", healthz)]
    )
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.naive", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sandbox", required=True, help="base URL of the sandbox")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.sandbox),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
