"""CPU of the gateway's own work on the large list, without upstream I/O or the executor's setup.

``python -m bench.conversion``: fetches the sandbox's records for customers 1..1,000 once (CRM
with the scenario's ten fields, orders with the three it reads, as the gateway asks for them),
then times in this process, interleaved and by process time:

- mapping: every raw record through its source's ``RecordMapper``, grouped per customer;
- building: ``build_customer`` for each customer;
- building and completing: the large-list query through the fast path over those customers,
  for a partner with ``pii:read`` (as the benchmark's caller).

Before timing it checks that the fast path and plain Strawberry answer byte for byte alike.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import strawberry
from prometheus_client import CollectorRegistry

from auth import Identity
from bench import queries
from datasources import SourceMetrics, SourceSet
from datasources.model import ENTITY_MODELS, RecordMapper
from gateway.settings import DEFAULT_CONFIG, load_settings
from resolvers import CustomerRecords
from sandbox import SandboxSettings, create_app
from schema.convert import PROFILE_FIELDS, build_customer
from schema.fastpath import FastPathSchema
from schema.types import Customer

IDS = queries.ids(1000)
# What the large list's ten customer fields read from the CRM: all but updated_at.
CRM_FIELDS = frozenset(PROFILE_FIELDS) - {"updated_at"}
ORDER_FIELDS = frozenset({"id", "status", "placed_at"})
REPEATS = 30


@dataclass
class Context:
    """What the PII fields' permission reads: the caller."""

    identity: Identity


async def _raw_records() -> tuple[list[Any], list[Any]]:
    transport = httpx.ASGITransport(create_app(SandboxSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        crm: list[Any] = []
        orders: list[Any] = []
        for start in range(0, len(IDS), 100):
            response = await client.get(
                "/crm/customers/batch",
                params={
                    "ids": ",".join(IDS[start : start + 100]),
                    "fields": ",".join(["id", *sorted(CRM_FIELDS)]),
                },
            )
            crm += response.json()["data"]
        for start in range(0, len(IDS), 50):
            response = await client.get(
                "/orders/orders",
                params={
                    "customer_ids": ",".join(IDS[start : start + 50]),
                    "fields": "customer_id,order_id,status,placed_at",
                },
            )
            orders += response.json()["orders"]
    return crm, orders


def main() -> None:
    settings = load_settings(DEFAULT_CONFIG, {"SANDBOX_URL": "http://127.0.0.1:1"})
    sources = SourceSet(
        settings.sources, lambda _: httpx.AsyncHTTPTransport(), SourceMetrics(CollectorRegistry())
    )
    crm_mapper = RecordMapper(ENTITY_MODELS["customer"], settings.sources["crm"].fields)
    orders_mapper = RecordMapper(ENTITY_MODELS["orders"], settings.sources["orders"].fields)
    crm_raw, orders_raw = asyncio.run(_raw_records())

    def map_all() -> list[CustomerRecords]:
        by_id: dict[str, dict[str, Any]] = {cid: {"orders": ()} for cid in IDS}
        for raw in crm_raw:
            by_id[str(raw["id"])]["crm"] = crm_mapper.map(raw, CRM_FIELDS)
        for raw in orders_raw:
            found = by_id[str(raw["customer_id"])]
            found["orders"] = (*found["orders"], orders_mapper.map(raw, ORDER_FIELDS))
        return [CustomerRecords(cid, by_source) for cid, by_source in by_id.items()]

    records = map_all()

    @strawberry.type
    class Query:
        @strawberry.field
        def customers(self) -> list[Customer]:
            return [build_customer(r, sources) for r in records]

    query = queries.LARGE_LIST.replace("query ($ids: [ID!]!)", "").replace("(ids: $ids)", "")
    context = Context(Identity.partner("bench", ["customers:read", "pii:read"]))
    fast, plain = FastPathSchema(query=Query), strawberry.Schema(query=Query)
    loop = asyncio.new_event_loop()

    def execute(schema: strawberry.Schema) -> Any:
        return loop.run_until_complete(schema.execute(query, context_value=context))

    def answer(schema: strawberry.Schema) -> bytes:
        result = execute(schema)
        assert not result.errors, result.errors
        return orjson.dumps(result.data)

    assert answer(fast) == answer(plain)

    def build() -> None:
        for r in records:
            build_customer(r, sources)

    runs: dict[str, Callable[[], object]] = {
        "mapping": map_all,
        "building": build,
        "building and completing": lambda: execute(fast),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEATS):
        for name, run in runs.items():
            gc.collect()
            started = time.process_time()
            run()
            times[name].append(time.process_time() - started)
    print(f"{len(crm_raw)} customers, {len(orders_raw)} orders; CPU ms, {REPEATS} runs")
    for name, values in times.items():
        print(
            f"  {name:24} median {statistics.median(values) * 1e3:6.1f}"
            f"  min {min(values) * 1e3:6.1f}"
        )
    loop.close()


if __name__ == "__main__":
    main()
