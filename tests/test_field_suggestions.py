"""Field suggestions: "Did you mean 'email'?" helps a developer and, with introspection off,
spells the schema out to a stranger one guessed name at a time. Production leaves them out
of every error (validation, variables, arguments); development keeps them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox, sandbox_settings
from tests.tokens import Clock, auth_env, bearer, hs256, staff_claims

TYPO = '{ customer(id: "3") { emial } }'
# Each sends a name the schema does not have but has one close to it.
GUESSES: dict[str, dict[str, Any]] = {
    "a field": {"query": TYPO},
    "an argument": {"query": '{ customer(idd: "3") { id } }'},
    "an input field in a literal": {
        "query": 'mutation { updateProfile(customerId: "3", input: {cty: "Lyon"}) { id } }'
    },
    "an input field in a variable": {
        "query": "mutation ($input: ProfileInput!) "
        '{ updateProfile(customerId: "3", input: $input) { id } }',
        "variables": {"input": {"cty": "Lyon"}},
    },
    "a type": {"query": "query ($input: ProfilInput!) { __typename }"},
}


@pytest.fixture(scope="module")
def production(sandbox_server: Sandbox) -> Iterator[httpx.Client]:
    settings = sandbox_settings(sandbox_server.url, **auth_env())
    with run_in_thread(create_app(settings, clock=Clock())) as url:
        token = hs256(staff_claims("customers:read customers:write pii:read"))
        yield httpx.Client(base_url=url, timeout=10, headers=bearer(token))


def messages(response: httpx.Response) -> list[str]:
    return [error["message"] for error in response.json()["errors"]]


@pytest.mark.parametrize("payload", GUESSES.values(), ids=GUESSES.keys())
def test_production_errors_name_no_field_the_caller_did_not_send(
    production: httpx.Client, sandbox: Sandbox, payload: dict[str, Any]
) -> None:
    # Twice: the second time the variables case meets an operation already prepared.
    for _ in range(2):
        found = messages(production.post("/graphql", json=payload))
        assert found
        assert not [m for m in found if "Did you mean" in m], found
    assert sandbox.calls() == {api: 0 for api in sandbox.calls()}


def test_the_probe_typo_is_refused_with_its_plain_message(production: httpx.Client) -> None:
    response = production.post("/graphql", json={"query": TYPO})
    assert response.json()["errors"] == [
        {
            "message": "Cannot query field 'emial' on type 'Customer'.",
            "locations": [{"line": 1, "column": 23}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]


@pytest.mark.parametrize("payload", GUESSES.values(), ids=GUESSES.keys())
def test_development_errors_suggest_the_name_meant(
    gateway: Gateway, payload: dict[str, Any]
) -> None:
    found = messages(gateway.http.post("/graphql", json=payload))
    assert [m for m in found if "Did you mean" in m], found
