"""Operations over a limit are refused whole, before any upstream is called."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import parse

from core import QueryLimitExceeded
from gateway.app import create_app
from sandbox.server import run_in_thread
from schema.measure import measure
from tests.conftest import Gateway, Sandbox, sandbox_settings
from tests.tokens import PARTNER_KEY, auth_env, bearer, claims, hs256, staff_claims


def _refused(body: Any, limit: str) -> dict[str, Any]:
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED"
    assert error["extensions"]["limit"] == limit
    return dict(error)


def _nested(levels: int) -> str:
    inner = "name"
    for _ in range(levels):
        inner = f"fields {{ type {{ {inner} }} }}"
    return inner


def test_depth_bomb_is_refused_before_any_call(gateway: Gateway, sandbox: Sandbox) -> None:
    query = f'{{ customer(id: "1") {{ id }} __schema {{ types {{ {_nested(10)} }} }} }}'
    error = _refused(gateway.query(query), "depth")
    assert error["message"] == "query depth 23 exceeds the maximum of 15 for anonymous clients"
    assert error["extensions"] == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "limit": "depth",
        "max": 15,
        "actual": 23,
    }
    assert sum(sandbox.calls().values()) == 0


def test_alias_bomb_is_refused_before_any_call(gateway: Gateway, sandbox: Sandbox) -> None:
    aliases = " ".join(f'c{i}: customer(id: "{i}") {{ id email }}' for i in range(1, 201))
    error = _refused(gateway.query(f"{{ {aliases} }}"), "aliases")
    assert error["message"] == (
        "query uses 200 aliases; at most 30 are allowed for anonymous clients"
    )
    assert sum(sandbox.calls().values()) == 0


def test_ten_thousand_item_list_is_refused_before_any_call(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    ids = [str(i) for i in range(1, 10_001)]
    by_ids = gateway.query("query ($ids: [ID!]!) { customers(ids: $ids) { id } }", {"ids": ids})
    error = _refused(by_ids, "listSize")
    assert error["message"] == (
        "query asks for a list of 10000 items; at most 1000 are allowed for anonymous clients"
    )
    listing = gateway.query("{ customerList(first: 10000) { edges { node { id email } } } }")
    assert _refused(listing, "listSize")["extensions"]["actual"] == 10_000
    assert sum(sandbox.calls().values()) == 0


def test_costly_query_is_refused_before_any_call(gateway: Gateway, sandbox: Sandbox) -> None:
    ids = [str(i) for i in range(1, 1001)]
    query = """query ($ids: [ID!]!) { customers(ids: $ids) {
        id name email
        orders(first: 100) { edges { node { id status total { amount currency } } } }
    } }"""
    error = _refused(gateway.query(query, {"ids": ids}), "cost")
    # Per customer: 3 scalars + orders (1) + 100 x (edges 1 + node 1 + id, status, total 3
    # + amount, currency 2) = 704; 1000 customers and the root field: 704_001.
    assert error["extensions"]["actual"] == 704_001
    assert error["message"].startswith(
        "query cost 704001 exceeds the maximum of 100000 for anonymous clients"
    )
    assert sum(sandbox.calls().values()) == 0


def test_too_many_tokens_are_refused(gateway: Gateway, sandbox: Sandbox) -> None:
    fields = " ".join(["id"] * 6000)
    error = _refused(gateway.query(f'{{ customer(id: "1") {{ {fields} }} }}'), "tokens")
    assert error["message"] == (
        "query has more than 5000 tokens, the maximum for anonymous clients"
    )
    assert sum(sandbox.calls().values()) == 0


def test_queries_within_the_limits_run(gateway: Gateway) -> None:
    ids = [str(i) for i in range(1, 101)]
    body = gateway.query(
        "query ($ids: [ID!]!) { customers(ids: $ids) { id orders(first: 5) { totalCount } } }",
        {"ids": ids},
    )
    assert "errors" not in body
    assert len(body["data"]["customers"]) == 100


def test_limits_follow_the_client_class(sandbox_server: Sandbox, sandbox: Sandbox) -> None:
    env = auth_env(CG_LIMITS__QUERY_BY_CLASS__PARTNER__MAX_COST="50")
    settings = sandbox_settings(sandbox_server.url, **env)
    ids = [str(i) for i in range(1, 21)]
    query = "query ($ids: [ID!]!) { customers(ids: $ids) { id name city } }"  # cost 61
    payload = {"query": query, "variables": {"ids": ids}}
    with run_in_thread(create_app(settings, clock=lambda: claims()["iat"])) as url:
        http = httpx.Client(base_url=url, timeout=10)
        as_partner = http.post("/graphql", json=payload, headers={"x-api-key": PARTNER_KEY})
        calls_after_partner = sum(sandbox.calls().values())
        as_staff = http.post(
            "/graphql", json=payload, headers=bearer(hs256(staff_claims("customers:read")))
        )
    assert _refused(as_partner.json(), "cost")["message"].startswith(
        "query cost 61 exceeds the maximum of 50 for partner clients"
    )
    assert calls_after_partner == 0
    assert len(as_staff.json()["data"]["customers"]) == 20


def test_limits_hold_for_an_operation_already_run(
    sandbox_server: Sandbox, sandbox: Sandbox
) -> None:
    # The first run prepares the text (schema/fastpath/prepared.py); later runs skip
    # Strawberry's hooks, but not the limits of their own caller and variables.
    env = auth_env(CG_LIMITS__QUERY_BY_CLASS__PARTNER__MAX_COST="50")
    settings = sandbox_settings(sandbox_server.url, **env)
    query = "query ($ids: [ID!]!) { customers(ids: $ids) { id name city } }"
    staff = bearer(hs256(staff_claims("customers:read")))
    partner = {"x-api-key": PARTNER_KEY}
    app = create_app(settings, clock=lambda: claims()["iat"])
    with run_in_thread(app) as url:
        http = httpx.Client(base_url=url, timeout=10)

        def post(ids: int, headers: dict[str, str]) -> Any:
            variables = {"ids": [str(i) for i in range(1, ids + 1)]}
            response = http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            return response.json()

        as_staff = post(20, staff)
        again_as_staff = post(20, staff)
        sandbox.reset()
        as_partner = post(20, partner)  # cost 61
        too_long = post(1001, staff)
        calls = sum(sandbox.calls().values())
        cheap_as_partner = post(5, partner)  # cost 16

    assert as_staff == again_as_staff
    assert len(as_staff["data"]["customers"]) == 20
    assert app.state.gateway.fast_path.prepared == 2
    assert _refused(as_partner, "cost")["extensions"]["actual"] == 61
    assert _refused(too_long, "listSize")["extensions"]["actual"] == 1001
    assert calls == 0
    assert len(cheap_as_partner["data"]["customers"]) == 5


def test_nested_fragments_are_measured_without_expanding_them() -> None:
    # Each fragment spreads the previous one twice: 2**40 leaf fields once expanded, which
    # a walk that expanded fragments would never finish.
    fragments = ["fragment F0 on Customer { id }"]
    fragments += [f"fragment F{i} on Customer {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 41)]
    document = parse('{ customer(id: "1") { ...F40 } } ' + " ".join(fragments))
    measures = measure(document, None, {})
    assert measures.cost == 1 + 2**40
    assert measures.depth == 2


def test_variable_defaults_count_as_list_sizes() -> None:
    document = parse("query ($n: Int = 500) { customerList(first: $n) { edges { node { id } } } }")
    measures = measure(document, None, {})
    assert measures.largest_list == 500
    assert measures.cost == 1 + 500 * 3
    assert measure(document, None, {"n": 7}).largest_list == 7


def test_very_deep_documents_are_measured_without_exhausting_the_stack() -> None:
    document = parse("{ " + "orders { " * 150 + "id" + " }" * 150 + " }")
    assert measure(document, None, {}).depth == 101  # exact up to 100 levels, then "more"


def test_fragments_spread_in_fragments_too_deeply_are_refused() -> None:
    chain = [f"fragment F{i} on Customer {{ ...F{i + 1} }}" for i in range(600)]
    document = parse(
        "{ customer(id: 1) { ...F0 } } " + " ".join(chain) + " fragment F600 on Customer { id }"
    )
    with pytest.raises(QueryLimitExceeded) as refused:
        measure(document, None, {})
    assert refused.value.extensions == {
        "code": "QUERY_LIMIT_EXCEEDED",
        "limit": "fragmentNesting",
        "max": 50,
        "actual": 51,
    }
