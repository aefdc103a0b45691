"""The Python floor: the benchmark's queries answered with the least work Python can do.

uvicorn (uvloop, httptools, as the gateway is served) and Starlette, one aiohttp
``ClientSession``, and for each of the benchmark's query texts a hand-written handler that
makes exactly the upstream calls the gateway makes (the same sparse ``fields=`` lists, the ids
in batches of the configured sizes, every call of a request in one concurrent round) and writes
the answer JSON by hand with orjson. No GraphQL parsing or validation, no authentication, rate
limits, logging, metrics, cache or error mapping: what is left is the cost no gateway in Python
can avoid, the floor the gateway's CPU per request is measured against. ``tests/
test_bench_floor.py`` checks that its answers and upstream calls equal the gateway's.
Run with ``python -m bench.floor --port 8500 --sandbox http://127.0.0.1:8100``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date, datetime
from typing import Any

import aiohttp
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from yarl import URL

from bench import queries

Record = dict[str, Any]
# Exponents of the currencies whose minor unit is not a hundredth (as schema/money.py).
_NO_DECIMALS = [
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
]
_THREE_DECIMALS = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]
_EXPONENTS = {**dict.fromkeys(_NO_DECIMALS, 0), **dict.fromkeys(_THREE_DECIMALS, 3)}
# The sparse field lists the gateway sends for the benchmark's queries, sorted as it sorts them.
_SMALL_CRM = "email,first_name,id,last_name"
_TWO_ORDERS = "amount_minor,currency,customer_id,order_id"
_LARGE_CRM = "birth_date,city,country,created_at,email,first_name,id,last_name,phone,segment"
_LARGE_ORDERS = "customer_id,order_id,placed_at,status"
_JSON = "application/json"


def amount(minor: int, currency: str) -> str:
    """Minor units as the decimal string the gateway's Money.amount serializes to."""
    exponent = _EXPONENTS.get(currency.upper(), 2)
    if exponent == 0:
        return str(minor)
    whole, part = divmod(abs(minor), 10**exponent)
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{exponent}d}"


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _datetime(value: str | None) -> datetime | None:
    # Parsed as the gateway parses it; orjson writes it back as the gateway does (+00:00).
    return None if value is None else datetime.fromisoformat(value)


def _name(record: Record) -> str | None:
    return " ".join(p for p in (record.get("first_name"), record.get("last_name")) if p) or None


class Upstreams:
    """The CRM and orders batch endpoints over one session, batched as the gateway batches."""

    def __init__(
        self, session: aiohttp.ClientSession, sandbox_url: str, crm_batch: int, orders_batch: int
    ) -> None:
        self._session = session
        self._crm = f"{sandbox_url}/crm/customers/batch?fields="
        self._orders = f"{sandbox_url}/orders/orders?fields="
        self._crm_batch = crm_batch
        self._orders_batch = orders_batch

    async def _get(self, url: str) -> Any:
        # The URL is ours and already encoded; yarl need not parse and quote it again.
        async with self._session.get(URL(url, encoded=True)) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"{url} answered {response.status}: {body[:200]!r}")
        return orjson.loads(body)

    def _calls(self, prefix: str, fields: str, name: str, ids: list[str], size: int) -> list[Any]:
        return [
            self._get(f"{prefix}{fields}&{name}={','.join(ids[i : i + size])}")
            for i in range(0, len(ids), size)
        ]

    async def load(
        self, ids: Sequence[str], crm_fields: str, orders_fields: str | None
    ) -> tuple[dict[str, Record], dict[str, list[Record]]]:
        """Customers by id, and their orders by customer id when ``orders_fields`` is given."""
        wanted = list(dict.fromkeys(ids))
        crm = self._calls(self._crm, crm_fields, "ids", wanted, self._crm_batch)
        orders = (
            self._calls(self._orders, orders_fields, "customer_ids", wanted, self._orders_batch)
            if orders_fields is not None
            else []
        )
        answers = await asyncio.gather(*crm, *orders)
        customers = {r["id"]: r for answer in answers[: len(crm)] for r in answer["data"]}
        by_customer: dict[str, list[Record]] = {}
        for answer in answers[len(crm) :]:
            for order in answer["orders"]:
                by_customer.setdefault(order["customer_id"], []).append(order)
        return customers, by_customer


async def small(upstreams: Upstreams, variables: Record) -> Record:
    customers, _ = await upstreams.load([str(variables["id"])], _SMALL_CRM, None)
    record = next(iter(customers.values()), None)
    customer = None if record is None else {"name": _name(record), "email": record.get("email")}
    return {"customer": customer}


async def two_sources(upstreams: Upstreams, variables: Record) -> Record:
    ids = [str(i) for i in variables["ids"]]
    customers, orders = await upstreams.load(ids, _SMALL_CRM, _TWO_ORDERS)
    answer: list[Record | None] = []
    for customer_id in ids:
        record = customers.get(customer_id)
        if record is None:
            answer.append(None)
            continue
        placed = orders.get(customer_id, [])
        edges = [
            {
                "node": {
                    "id": o["order_id"],
                    "total": {
                        "amount": amount(o["amount_minor"], o["currency"]),
                        "currency": o["currency"],
                    },
                }
            }
            for o in placed[:3]
        ]
        answer.append(
            {
                "id": customer_id,
                "name": _name(record),
                "email": record.get("email"),
                "orders": {"totalCount": len(placed), "edges": edges},
            }
        )
    return {"customers": answer}


async def large_list(upstreams: Upstreams, variables: Record) -> Record:
    ids = [str(i) for i in variables["ids"]]
    customers, orders = await upstreams.load(ids, _LARGE_CRM, _LARGE_ORDERS)
    answer: list[Record | None] = []
    for customer_id in ids:
        r = customers.get(customer_id)
        if r is None:
            answer.append(None)
            continue
        edges = [
            {
                "node": {
                    "id": o["order_id"],
                    "status": _word(o.get("status")),
                    "placedAt": _datetime(o.get("placed_at")),
                }
            }
            for o in orders.get(customer_id, [])[:5]
        ]
        answer.append(
            {
                "id": customer_id,
                "firstName": r.get("first_name"),
                "lastName": r.get("last_name"),
                "email": r.get("email"),
                "phone": r.get("phone"),
                "birthDate": _date(r.get("birth_date")),
                "country": r.get("country"),
                "city": r.get("city"),
                "segment": _word(r.get("segment")),
                "createdAt": _datetime(r.get("created_at")),
                "orders": {"edges": edges},
            }
        )
    return {"customers": answer}


def _word(value: Any) -> Any:
    # The schema's enums answer the sources' words by name, upper case.
    return value.upper() if isinstance(value, str) else value


Handler = Callable[[Upstreams, Record], Awaitable[Record]]
# The query texts the floor answers, exactly as the benchmark sends them.
HANDLERS: dict[str, Handler] = {
    queries.SMALL: small,
    queries.TWO_SOURCES: two_sources,
    queries.LARGE_LIST: large_list,
}


def create_app(sandbox_url: str, *, crm_batch: int, orders_batch: int) -> Starlette:
    """The floor over the sandbox at ``sandbox_url``, batching as the gateway is configured."""
    state: dict[str, Upstreams] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            state["upstreams"] = Upstreams(session, sandbox_url, crm_batch, orders_batch)
            yield

    async def graphql(request: Request) -> Response:
        payload = orjson.loads(await request.body())
        handler = HANDLERS.get(payload.get("query"))
        if handler is None:
            error = {"message": "the floor answers only the benchmark's queries"}
            return Response(orjson.dumps({"errors": [error]}), 400, media_type=_JSON)
        data = await handler(state["upstreams"], payload.get("variables") or {})
        return Response(orjson.dumps({"data": data}), media_type=_JSON)

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type=_JSON)

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sandbox", required=True, help="base URL of the sandbox")
    parser.add_argument("--crm-batch", type=int, default=100, help="the CRM's max_batch_size")
    parser.add_argument("--orders-batch", type=int, default=50, help="orders' max_batch_size")
    args = parser.parse_args()
    app = create_app(args.sandbox, crm_batch=args.crm_batch, orders_batch=args.orders_batch)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
