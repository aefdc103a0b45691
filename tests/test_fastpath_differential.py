"""The fast path answers exactly what plain Strawberry answers, with the same upstream calls.

Generated operations (aliases, merged fields, fragments, directives, variables, nested lists)
run against two gateways over the same sandbox, one with ``server.fast_path`` off; the JSON
bodies must be byte-identical (data, error messages, paths, locations, extensions) and the
sandbox must have seen the same calls. Callers differ in what they may read (PII fields,
other customers, the list), so FORBIDDEN fields and customers appear; faults make whole
sources fail, so nulls bubble; a second pair of gateways maps upstream attributes wrongly, so
values are invalid. The last test runs both executors in-process over generated object
graphs full of invalid values.

Call counts are compared on operations whose root cannot be nulled: when a non-null root
field fails, graphql-core abandons its sibling root fields, and whether their upstream calls
reach the sandbox before the response does is a race, with or without the fast path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import graphql
import orjson
import pytest
import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from auth import Identity
from core import UpstreamDataInvalid, UpstreamUnavailable
from gateway.app import create_app
from resolvers import ListingPosition
from sandbox.params import encode_cursor
from sandbox.server import run_in_thread
from schema import build_schema
from schema.cursors import listing_cursor, order_cursor
from schema.fastpath import FastPath, FastPathSchema
from schema.types import (
    ChannelPreference,
    Customer,
    LoyaltyMembership,
    Money,
    Order,
    OrderLine,
    SupportTicket,
)
from schema.vocabulary import Channel, LoyaltyTier, OrderStatus, Segment
from tests.conftest import Gateway, Sandbox, sandbox_settings
from tests.operation_strategies import Operation, integer, operations, string
from tests.tokens import PARTNER_KEY, PII_PARTNER_KEY, auth_env, bearer, claims, hs256, staff_claims

SCHEMA = build_schema()._schema


# Cursors of orders (of customers 1 and 3) and of customerList (from its start, and from
# inside the sandbox CRM's page after customer 5), and one of nothing.
CURSORS = [
    order_cursor("1", 0),
    order_cursor("3", 2),
    listing_cursor(ListingPosition(None, 2), None),
    listing_cursor(ListingPosition(encode_cursor(5), 1), None),
    "nonsense",
]


def _gateway_scalars(ids: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    return {
        "ID": st.sampled_from(ids).map(string),
        # first and last accept 0..100; -1 and 101 are the client's mistakes.
        "Int": st.sampled_from([0, 1, 2, 3, 5, 101, -1]).map(integer),
        "String": st.sampled_from(CURSORS).map(string),
        "DateTime": st.sampled_from(["2024-01-01T00:00:00Z", "2030-01-01T00:00:00+02:00"]).map(
            string
        ),
    }


# "abc" cannot exist upstream: the key templates take numbers, so it is never sent.
IDS = ["1", "2", "3", "17", "42", "999999", "abc"]

# Who asks: PII needs pii:read or self-access; consumers read only themselves, list nothing.
CALLERS: dict[str, dict[str, str]] = {
    "partner": {"x-api-key": PARTNER_KEY},
    "partner with pii:read": {"x-api-key": PII_PARTNER_KEY},
    "consumer 1": bearer(hs256(claims("1"))),
    "consumer 42": bearer(hs256(claims("42"))),
    "staff": bearer(hs256(staff_claims("customers:read pii:read"))),
    # extensions.freshness on both paths.
    "staff asking for freshness": {
        **bearer(hs256(staff_claims("customers:read pii:read"))),
        "X-Freshness": "1",
    },
}

FAULTS: list[dict[str, dict[str, Any]]] = [
    {},
    {},
    {"loyalty": {"failure_rate": 1.0}},
    {"orders": {"failure_rate": 1.0, "status": 503}},
    {"preferences": {"failure_rate": 1.0}, "loyalty": {"failure_rate": 1.0}},
    {"crm": {"failure_rate": 1.0}},
    {"support": {"error_every": 2}},
    {"support": {"failure_rate": 1.0}, "orders": {"failure_rate": 1.0}},
]

SOURCES = ("CRM", "ORDERS", "LOYALTY", "PREFERENCES", "SUPPORT")
UNLIMITED = "1000000/minute"
# Production mode, no entity cache. What depends on time is off, so both gateways meet the
# same upstream answers: retries (random waits, one budget shared by the calls of a request),
# circuit breakers (time windows) and rate limits; query limits would refuse large examples.
GATEWAY_ENV = {
    **auth_env(),
    **{f"CG_SOURCES__{s}__RETRIES__ATTEMPTS": "1" for s in SOURCES},
    **{f"CG_SOURCES__{s}__BREAKER__MIN_CALLS": "1000000000" for s in SOURCES},
    **{f"CG_LIMITS__RATE__{c}": UNLIMITED for c in ("CONSUMER", "STAFF", "PARTNER")},
    "CG_LIMITS__QUERY__MAX_DEPTH": "100",
    "CG_LIMITS__QUERY__MAX_ALIASES": "100000",
    "CG_LIMITS__QUERY__MAX_TOKENS": "1000000",
    "CG_LIMITS__QUERY__MAX_COST": "1000000000",
    "CG_LIMITS__QUERY_BY_CLASS__CONSUMER__MAX_COST": "1000000000",
}

# Upstream attributes read as the wrong thing: invalid dates, amounts, (non-null) order ids
# and words outside the enums.
INVALID_DATA = {
    "CG_SOURCES__CRM__FIELDS__BIRTH_DATE__PATH": "city",
    "CG_SOURCES__CRM__FIELDS__SEGMENT__PATH": "city",
    "CG_SOURCES__ORDERS__FIELDS__STATUS__PATH": "currency",
    "CG_SOURCES__ORDERS__FIELDS__TOTAL_MINOR__PATH": "status",
    "CG_SOURCES__ORDERS__FIELDS__ID__PATH": "lines",
    "CG_SOURCES__LOYALTY__FIELDS__POINTS__PATH": "lty_tier",
    "CG_SOURCES__SUPPORT__FIELDS__OPENED_AT__PATH": "subject",
}


@dataclass
class GatewayPair:
    fast: Gateway
    plain: Gateway
    plans: FastPath


@pytest.fixture(scope="module")
def pairs(sandbox_server: Sandbox) -> Iterator[dict[str, GatewayPair]]:
    with ExitStack() as stack:

        def pair(**env: str) -> GatewayPair:
            def app(**more: str) -> Starlette:
                settings = sandbox_settings(sandbox_server.url, **GATEWAY_ENV, **env, **more)
                # The tokens' clock, so they stay valid however long the run takes.
                return create_app(settings, clock=lambda: claims()["iat"])

            fast_app, plain_app = app(), app(CG_SERVER__FAST_PATH="false")
            assert _fast_path(plain_app) is None
            plans = _fast_path(fast_app)
            assert plans is not None
            return GatewayPair(
                Gateway(stack.enter_context(run_in_thread(fast_app))),
                Gateway(stack.enter_context(run_in_thread(plain_app))),
                plans,
            )

        yield {"valid": pair(), "invalid": pair(**INVALID_DATA)}


def _fast_path(app: Starlette) -> FastPath | None:
    fast_path: FastPath | None = app.state.gateway.fast_path
    return fast_path


def _run(sandbox: Sandbox, gateway: Gateway, operation: Operation, faults: Any, caller: str) -> Any:
    sandbox.reset()
    if faults:
        sandbox.set_faults(**faults)
    response = gateway.http.post(
        "/graphql",
        json={"query": operation.query, "variables": operation.variables},
        headers=CALLERS[caller],
    )
    assert response.status_code == 200, response.text
    return response.content, sandbox.calls()


def _answers(
    pair: GatewayPair, sandbox: Sandbox, operation: Operation, faults: Any, caller: str
) -> list[Any]:
    """Plain Strawberry's answer and calls, then the fast path's, first and second time."""
    plain = _run(sandbox, pair.plain, operation, faults, caller)
    planned = pair.plans.planned
    first = _run(sandbox, pair.fast, operation, faults, caller)
    # The same text again runs as a prepared operation, past Strawberry's hooks (the first
    # run may already have been one, when an earlier example had the same text).
    prepared = pair.plans.prepared
    second = _run(sandbox, pair.fast, operation, faults, caller)
    assert (pair.plans.planned, pair.plans.prepared) == (planned + 2, prepared + 1)
    return [plain, first, second]


GATEWAY_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@GATEWAY_SETTINGS
@given(
    operation=operations(SCHEMA, _gateway_scalars(IDS), root_fields=["customer", "customers"]),
    faults=st.sampled_from(FAULTS),
    data=st.sampled_from(["valid", "valid", "invalid"]),
    caller=st.sampled_from(sorted(CALLERS)),
)
def test_fast_path_answers_as_strawberry_does_with_the_same_calls(
    pairs: dict[str, GatewayPair],
    sandbox: Sandbox,
    operation: Operation,
    faults: dict[str, Any],
    data: str,
    caller: str,
) -> None:
    (plain_body, plain_calls), *fast = _answers(pairs[data], sandbox, operation, faults, caller)
    for body, calls in fast:
        assert _comparable(body) == _comparable(plain_body)
        assert calls == plain_calls


@GATEWAY_SETTINGS
@given(
    operation=operations(SCHEMA, _gateway_scalars(IDS)),
    faults=st.sampled_from(FAULTS),
    data=st.sampled_from(["valid", "valid", "invalid"]),
    caller=st.sampled_from(sorted(CALLERS)),
)
def test_fast_path_answers_as_strawberry_does_on_every_root_field(
    pairs: dict[str, GatewayPair],
    sandbox: Sandbox,
    operation: Operation,
    faults: dict[str, Any],
    data: str,
    caller: str,
) -> None:
    (plain_body, _), *fast = _answers(pairs[data], sandbox, operation, faults, caller)
    for body, _ in fast:
        assert _unordered_errors(body) == _unordered_errors(plain_body)


def _unordered_errors(body: bytes) -> tuple[str, list[str]]:
    # Root fields finish in the order their upstream answers arrive (customerList's loads start
    # after its listing call), so errors of different root fields may come in either order, with
    # or without the fast path; within a root field the order is fixed.
    answer = orjson.loads(_comparable(body))
    errors = sorted(orjson.dumps(e).decode() for e in answer.pop("errors", []))
    return orjson.dumps(answer).decode(), errors


def _comparable(body: bytes) -> str:
    """The answer as text, byte for byte, except the list indices of a GraphQL upstream's
    error paths: where a customer sits in the upstream's answer depends on which loads its
    batch gathered, and so on the order root fields finish in."""
    if b'"upstream":' not in body:
        return body.decode()
    answer = orjson.loads(body)
    for error in answer.get("errors", []):
        upstream = error.get("extensions", {}).get("upstream")
        if upstream is not None:
            upstream["path"] = [p if isinstance(p, str) else "#" for p in upstream["path"]]
    return orjson.dumps(answer).decode()


# In-process: the executors themselves, over object graphs a source could never produce.


@strawberry.type
class GeneratedQuery:
    @strawberry.field
    async def customer(self, info: strawberry.Info[Generated, None]) -> Customer | None:
        await asyncio.sleep(0)
        return info.context.customer

    @strawberry.field
    def customers(self, info: strawberry.Info[Generated, None]) -> list[Customer | None]:
        # Sometimes an error: this non-null root field then fails while ``customer`` runs.
        return info.context.customers  # type: ignore[return-value]


@dataclass
class GeneratedOrders:
    """Generated orders and a generated total, handed out as ``OrderHistory`` does."""

    orders: tuple[Order, ...]
    spent: Any

    def __len__(self) -> int:
        return len(self.orders)

    def page(self, start: int, stop: int) -> tuple[Order, ...]:
        return self.orders[start:stop]

    def total_spent(self) -> Any:
        # Whatever was generated, an error or a wrong type included, as a resolver's result.
        return self.spent


@dataclass
class Generated:
    """The request context: who asks (for the PII fields' permissions) and the objects."""

    identity: Identity
    customers: list[Customer | None] | Exception
    customer: Customer


IDENTITIES = [
    Identity.partner("acme", ["customers:read"]),
    Identity.partner("bank", ["customers:read", "pii:read"]),
    Identity.consumer("1"),
]

FAILURE = UpstreamDataInvalid("points: not a number", source="loyalty", customer_id="7")
OUTAGE = UpstreamUnavailable("upstream answered 503", source="orders")


def _values(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly good values, sometimes null, an error value or a value of the wrong type."""
    wrong = st.sampled_from(
        [True, 7.0, 7.5, 2**31, -(2**31) - 1, "7", "12,345", b"x", date(2020, 1, 2), [1]]
    )
    return st.one_of(good, good, good, st.none(), st.sampled_from([FAILURE, OUTAGE]), wrong)


INT = st.sampled_from([0, 7, 2**31 - 1, -(2**31)])


def _lists(items: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(items, max_size=3), st.none(), st.just(OUTAGE), st.just("abc"))


TEXT = st.sampled_from(["Ada", "", "Ω"])
MONEY = st.builds(
    Money,
    amount=_values(st.just(Decimal("12.30"))),
    currency=_values(st.sampled_from(["EUR", "JPY"])),
    minor_units=_values(INT),
)
LINE = st.builds(
    OrderLine,
    sku=_values(TEXT),
    title=_values(TEXT),
    quantity=_values(INT),
    unit_price=_values(MONEY),
)
ORDER = st.builds(
    Order,
    id=_values(st.sampled_from(["O-1", "O-2"])),
    placed_at=_values(st.just(datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))),
    status=_values(st.sampled_from([OrderStatus.PAID, "cancelled", "lost"])),
    total=_values(MONEY),
    line_items=_lists(_values(LINE)),
)
CUSTOMER = st.builds(
    Customer,
    id=_values(st.sampled_from(["1", "2"])),
    first_name=_values(TEXT),
    last_name=_values(TEXT),
    name=_values(TEXT),
    email=_values(TEXT),
    phone=_values(TEXT),
    birth_date=_values(st.just(date(1990, 1, 2))),
    country=_values(TEXT),
    city=_values(TEXT),
    segment=_values(st.sampled_from([Segment.VIP, "retail", "Ada"])),
    created_at=_values(st.just(datetime(2020, 1, 1, tzinfo=UTC))),
    updated_at=_values(st.just(datetime(2021, 2, 3, tzinfo=UTC))),
    loyalty=_values(
        st.builds(
            LoyaltyMembership,
            member_number=_values(TEXT),
            tier=_values(st.sampled_from([LoyaltyTier.GOLD, "Ω"])),
            points=_values(INT),
            member_since=_values(st.just(date(2019, 1, 1))),
        )
    ),
    preferences=_lists(
        _values(
            st.builds(
                ChannelPreference,
                channel=_values(st.sampled_from([Channel.SMS, ""])),
                opt_in=_values(st.booleans()),
                language=_values(TEXT),
                updated_at=_values(st.just(date(2022, 3, 4))),
            )
        )
    ),
    tickets=_lists(
        _values(
            st.builds(
                SupportTicket,
                id=_values(st.sampled_from(["T-1-1", "T-2-1"])),
                subject=_values(TEXT),
                status=_values(st.sampled_from(["OPEN", "CLOSED"])),
                priority=_values(INT),
                opened_at=_values(st.just(datetime(2023, 4, 5, 6, 7, 8, tzinfo=UTC))),
                agent_name=_values(TEXT),
            )
        )
    ),
    _orders=st.one_of(
        st.builds(GeneratedOrders, st.lists(ORDER, max_size=4).map(tuple), _values(MONEY)),
        st.none(),
        st.just(OUTAGE),
    ),
)

PLAIN = strawberry.Schema(query=GeneratedQuery)
FAST = FastPathSchema(query=GeneratedQuery)
_CURSORS = [order_cursor(cid, i) for cid in ("1", "2") for i in (0, 2)]
OBJECT_SCALARS = {
    "Int": st.sampled_from([0, 1, 2, 10, -1, 101]).map(integer),
    "String": st.sampled_from([*_CURSORS, "nonsense"]).map(string),
}


def _result(schema: strawberry.Schema, operation: Operation, context: Generated) -> Any:
    result = asyncio.run(schema.execute(operation.query, operation.variables, context))
    errors = [error.formatted for error in result.errors or ()]
    return result.data, errors


@pytest.fixture(scope="module", autouse=True)
def _quiet_strawberry() -> Iterator[None]:
    # Strawberry logs every field error with its traceback; thousands of them slow the run.
    strawberry_log = logging.getLogger("strawberry.execution")
    strawberry_log.disabled = True
    yield
    strawberry_log.disabled = False


@settings(max_examples=250, deadline=None, derandomize=True)
@given(
    operation=operations(PLAIN._schema, OBJECT_SCALARS),
    customers=st.lists(st.one_of(CUSTOMER, st.none()), min_size=1, max_size=3),
    customer=CUSTOMER,
    outage=st.integers(0, 9).map(lambda n: n == 0),
    identity=st.sampled_from(IDENTITIES),
)
def test_fast_path_completes_invalid_values_as_graphql_core_does(
    operation: Operation,
    customers: list[Customer | None],
    customer: Customer,
    outage: bool,
    identity: Identity,
) -> None:
    # An outage fails the non-null root field ``customers`` while ``customer`` is running.
    context = Generated(identity, OUTAGE if outage else customers, customer)
    assert FAST.fast_path is not None
    planned = FAST.fast_path.planned
    assert _result(FAST, operation, context) == _result(PLAIN, operation, context)
    assert FAST.fast_path.planned == planned + 1
