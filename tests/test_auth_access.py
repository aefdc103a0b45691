"""Who may read what: consumers only themselves, staff and partners by scope, PII by pii:read."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from auth import Identity, can_read_field, can_write_customer
from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox, sandbox_settings
from tests.tokens import (
    PARTNER_KEY,
    PII_PARTNER_KEY,
    auth_env,
    bearer,
    claims,
    hs256,
    staff_claims,
)

PROFILE = "id name city email phone birthDate"


class Caller:
    """Queries a production gateway with fixed credentials."""

    def __init__(self, http: httpx.Client, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers

    def query(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def production(sandbox_server: Sandbox) -> Iterator[httpx.Client]:
    settings = sandbox_settings(sandbox_server.url, **auth_env())
    with run_in_thread(create_app(settings, clock=lambda: claims()["iat"])) as url:
        yield httpx.Client(base_url=url, timeout=10)


def consumer(http: httpx.Client, customer_id: str) -> Caller:
    return Caller(http, bearer(hs256(claims(customer_id))))


def staff(http: httpx.Client, scope: str) -> Caller:
    return Caller(http, bearer(hs256(staff_claims(scope))))


def partner(http: httpx.Client, key: str) -> Caller:
    return Caller(http, {"x-api-key": key})


def _forbidden(body: Any) -> list[tuple[tuple[Any, ...], str | None]]:
    return sorted(
        (tuple(e["path"]), e["extensions"].get("field"))
        for e in body["errors"]
        if e["extensions"]["code"] == "FORBIDDEN"
    )


def test_consumer_reads_itself(production: httpx.Client, sandbox: Sandbox) -> None:
    me = consumer(production, "7")
    crm = sandbox.data.customer("7")
    assert crm is not None
    body = me.query(f'{{ me {{ {PROFILE} }} customer(id: "7") {{ id email }} }}')
    assert "errors" not in body
    assert body["data"]["me"]["email"] == crm.email
    assert body["data"]["me"]["birthDate"] == crm.birth_date.isoformat()
    assert body["data"]["customer"] == {"id": "7", "email": crm.email}


def test_consumer_reading_another_customer_is_forbidden_before_any_call(
    production: httpx.Client, sandbox: Sandbox
) -> None:
    body = consumer(production, "7").query(f'{{ customer(id: "8") {{ {PROFILE} }} }}')
    assert body["data"] == {"customer": None}
    assert body["errors"][0]["message"] == (
        "not allowed to read customer 8: you may read only yourself"
    )
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "customerId": "8"}
    assert sum(sandbox.calls().values()) == 0


def test_consumer_gets_itself_and_refusals_for_the_others_in_a_batch(
    production: httpx.Client, sandbox: Sandbox
) -> None:
    body = consumer(production, "7").query('{ customers(ids: ["8", "7", "9"]) { id } }')
    assert body["data"] == {"customers": [None, {"id": "7"}, None]}
    assert _forbidden(body) == [(("customers", 0), None), (("customers", 2), None)]
    assert sandbox.stats()["crm"]["ids"] == [["7"]]


def test_consumer_cannot_list_customers(production: httpx.Client, sandbox: Sandbox) -> None:
    body = consumer(production, "7").query("{ customerList(first: 5) { edges { node { id } } } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert sum(sandbox.calls().values()) == 0


def test_me_is_null_for_callers_that_are_not_a_customer(production: httpx.Client) -> None:
    body = staff(production, "customers:read pii:read").query("{ me { id } }")
    assert body == {"data": {"me": None}}


def test_partner_without_pii_scope_gets_the_profile_with_pii_fields_forbidden(
    production: httpx.Client, sandbox: Sandbox
) -> None:
    crm = sandbox.data.customer("3")
    assert crm is not None
    body = partner(production, PARTNER_KEY).query(
        f'{{ customer(id: "3") {{ {PROFILE} }} customers(ids: ["4"]) {{ id email }} }}'
    )
    assert body["data"] == {
        "customer": {
            "id": "3",
            "name": f"{crm.first_name} {crm.last_name}",
            "city": crm.city,
            "email": None,
            "phone": None,
            "birthDate": None,
        },
        "customers": [{"id": "4", "email": None}],
    }
    assert _forbidden(body) == [
        (("customer", "birthDate"), "birthDate"),
        (("customer", "email"), "email"),
        (("customer", "phone"), "phone"),
        (("customers", 0, "email"), "email"),
    ]
    email_error = next(e for e in body["errors"] if e["path"] == ["customer", "email"])
    assert email_error["message"] == (
        "not allowed to read Customer.email: it needs the pii:read scope or access to your "
        "own customer record"
    )


def test_partner_with_pii_scope_reads_pii(production: httpx.Client, sandbox: Sandbox) -> None:
    crm = sandbox.data.customer("3")
    assert crm is not None
    body = partner(production, PII_PARTNER_KEY).query(f'{{ customer(id: "3") {{ {PROFILE} }} }}')
    assert "errors" not in body
    assert body["data"]["customer"]["phone"] == crm.phone


def test_staff_need_customers_read(production: httpx.Client, sandbox: Sandbox) -> None:
    body = staff(production, "pii:read").query('{ customer(id: "3") { id email } }')
    assert body["data"] == {"customer": None}
    assert body["errors"][0]["message"] == (
        "not allowed to read customer 3: it needs customers:read"
    )
    assert sum(sandbox.calls().values()) == 0


def test_staff_with_read_scope_list_customers_without_pii(production: httpx.Client) -> None:
    body = staff(production, "customers:read").query(
        "{ customerList(first: 2) { edges { node { id email } } } }"
    )
    edges = body["data"]["customerList"]["edges"]
    assert [e["node"] for e in edges] == [{"id": "1", "email": None}, {"id": "2", "email": None}]
    assert _forbidden(body) == [
        (("customerList", "edges", 0, "node", "email"), "email"),
        (("customerList", "edges", 1, "node", "email"), "email"),
    ]


def test_unknown_api_key_is_refused(production: httpx.Client) -> None:
    response = production.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"x-api-key": "cgk_guess"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "API key is not recognised"
    assert (
        response.headers["www-authenticate"] == 'ApiKey realm="customer-graph", header="x-api-key"'
    )


def test_token_and_key_together_are_refused(production: httpx.Client) -> None:
    headers = {**bearer(hs256(claims("7"))), "x-api-key": PARTNER_KEY}
    response = production.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == (
        "send either a bearer token or an API key, not both"
    )


def test_development_mode_runs_anonymous_requests_with_the_configured_scopes(
    gateway: Gateway,
) -> None:
    body = gateway.query('{ customer(id: "3") { id email } me { id } }')
    assert "errors" not in body
    assert body["data"]["customer"]["email"] is not None
    assert body["data"]["me"] is None


def test_graphiql_and_introspection_are_off_in_production_by_default(
    production: httpx.Client,
) -> None:
    page = production.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 404
    body = partner(production, PII_PARTNER_KEY).query("{ __schema { queryType { name } } }")
    assert body["data"] is None
    assert "introspection" in body["errors"][0]["message"].lower()


STAFF_ALL = Identity.staff("s", ["customers:read", "customers:write", "pii:read"])
STAFF_READ = Identity.staff("s", ["customers:read"])
CONSUMER_7 = Identity.consumer("7")
PARTNER = Identity.partner("acme", ["customers:read"])
NOBODY = Identity.anonymous("127.0.0.1", [])


@pytest.mark.parametrize(
    ("identity", "customer_id", "field", "allowed"),
    [
        (CONSUMER_7, "7", "email", True),
        (CONSUMER_7, "8", "email", False),
        (CONSUMER_7, "8", "city", False),
        (STAFF_READ, "8", "city", True),
        (STAFF_READ, "8", "birthDate", False),
        (STAFF_ALL, "8", "phone", True),
        (PARTNER, "8", "email", False),
        (PARTNER, "8", "segment", True),
        (NOBODY, "8", "city", False),
    ],
)
def test_field_decisions(identity: Identity, customer_id: str, field: str, allowed: bool) -> None:
    assert can_read_field(identity, customer_id, field) is allowed


def test_writes_need_the_write_scope_or_self_access() -> None:
    assert can_write_customer(CONSUMER_7, "7")
    assert not can_write_customer(CONSUMER_7, "8")
    assert not can_write_customer(STAFF_READ, "8")
    assert can_write_customer(STAFF_ALL, "8")


def test_a_persisted_query_by_hash_needs_credentials_like_any_other(
    production: httpx.Client, sandbox: Sandbox
) -> None:
    query = '{ customer(id: "5") { id email } }'
    by_hash = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    }
    registered = production.post(
        "/graphql",
        json={"query": query, "extensions": by_hash},
        headers={"x-api-key": PII_PARTNER_KEY},
    ).json()
    sandbox.reset()
    params = {"extensions": json.dumps(by_hash)}
    anonymous = production.get("/graphql", params=params)
    assert anonymous.status_code == 401
    assert sum(sandbox.calls().values()) == 0
    as_acme = production.get("/graphql", params=params, headers={"x-api-key": PARTNER_KEY})
    assert as_acme.json()["data"] == {"customer": {"id": "5", "email": None}}
    assert registered["data"]["customer"]["email"] is not None


def test_development_without_token_checks_runs_a_bearer_caller_as_anonymous(
    gateway: Gateway,
) -> None:
    # Nothing can verify the token, so it identifies no one; it may still be forwarded.
    body = gateway.query("{ me { id } }", headers=bearer("opaque-token"))
    assert body == {"data": {"me": None}}
