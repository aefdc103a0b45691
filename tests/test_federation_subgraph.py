"""customer-graph as a Federation 2 subgraph: the SDL a router composes, and ``_entities``
answered as ``customers(ids:)`` answers, with the same upstream calls and refusals."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import graphql
import pytest

from gateway.app import create_app
from sandbox.server import run_in_thread
from schema import FederationSettings, build_schema
from tests.conftest import Gateway, Sandbox, sandbox_settings
from tests.tokens import PARTNER_KEY, auth_env, bearer, claims, hs256

MAX_BATCH = {"crm": 100, "orders": 50, "loyalty": 100, "preferences": 200}

ALL_SOURCES = """
    id name email
    orders(first: 3) { totalCount edges { node { id total { amount currency } } } }
    loyalty { tier points }
    preferences { channel optIn }
"""

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename ... on Customer { %s } }
}
"""


def representations(ids: list[str]) -> list[dict[str, Any]]:
    return [{"__typename": "Customer", "id": i} for i in ids]


@pytest.fixture(scope="module")
def subgraph(sandbox_server: Sandbox) -> Iterator[Gateway]:
    settings = sandbox_settings(
        sandbox_server.url, CG_CACHE__ENABLED="false", CG_FEDERATION__ENABLED="true"
    )
    with run_in_thread(create_app(settings)) as url:
        yield Gateway(url)


@pytest.fixture(scope="module")
def production_subgraph(sandbox_server: Sandbox) -> Iterator[Gateway]:
    env = auth_env(CG_FEDERATION__ENABLED="true", CG_CACHE__ENABLED="false")
    settings = sandbox_settings(sandbox_server.url, **env)
    with run_in_thread(create_app(settings, clock=lambda: claims()["iat"])) as url:
        yield Gateway(url)


def test_standalone_schema_is_unchanged_when_federation_is_off() -> None:
    standalone = build_schema().as_str()
    assert build_schema(federation=FederationSettings(enabled=False)).as_str() == standalone
    for federation_only in ("_entities", "_service", "_Any", "_Entity", "@key"):
        assert federation_only not in standalone


def test_subgraph_schema_adds_only_service_and_entities() -> None:
    standalone = build_schema()._schema
    federated = build_schema(federation=FederationSettings(enabled=True))._schema
    assert set(federated.type_map) - set(standalone.type_map) == {"_Any", "_Entity", "_Service"}
    assert federated.query_type is not None
    assert standalone.query_type is not None
    added = set(federated.query_type.fields) - set(standalone.query_type.fields)
    assert added == {"_entities", "_service"}


def test_service_sdl_declares_keys_scopes_and_shareable_types(subgraph: Gateway) -> None:
    sdl = subgraph.query("{ _service { sdl } }")["data"]["_service"]["sdl"]
    document = graphql.parse(sdl)
    link = document.definitions[0]
    assert isinstance(link, graphql.SchemaExtensionNode)
    assert 'url: "https://specs.apollo.dev/federation/v2.5"' in graphql.print_ast(link)
    types = {
        d.name.value: d for d in document.definitions if isinstance(d, graphql.TypeDefinitionNode)
    }
    assert not {"_Any", "_Entity", "_Service"} & set(types)
    assert _directives(types["Customer"]) == ['@key(fields: "id")']
    assert _directives(types["Order"]) == ['@key(fields: "id", resolvable: false)']
    assert _directives(types["Money"]) == ["@shareable"]
    assert _directives(types["PageInfo"]) == ["@shareable"]
    fields = {f.name.value: f for f in types["Customer"].fields}  # type: ignore[attr-defined]
    for pii in ("email", "phone", "birthDate"):
        assert _directives(fields[pii]) == [
            '@requiresScopes(scopes: [["pii:read"]])',
            '@tag(name: "pii")',
        ]
    assert _directives(fields["name"]) == []
    query_fields = {f.name.value for f in types["Query"].fields}  # type: ignore[attr-defined]
    assert query_fields == {"me", "customer", "customers", "customerList"}


def test_settings_add_inaccessible_and_tags_and_can_drop_scopes() -> None:
    settings = FederationSettings(
        enabled=True,
        requires_scopes=False,
        inaccessible=("Customer.segment", "ChannelPreference"),
        tags={"Customer.country": ("public", "eu")},
    )
    sdl = build_schema(federation=settings).subgraph_sdl
    assert sdl is not None
    assert "segment: Segment @inaccessible" in sdl
    assert "type ChannelPreference @inaccessible {" in sdl
    assert 'country: String @tag(name: "public") @tag(name: "eu")' in sdl
    assert "@requiresScopes" not in sdl
    assert '"@inaccessible"' in sdl.splitlines()[0]


def test_settings_naming_what_the_schema_lacks_are_refused() -> None:
    settings = FederationSettings(enabled=True, inaccessible=("Customer.nickname",))
    with pytest.raises(ValueError, match=r"'Customer\.nickname'"):
        build_schema(federation=settings)


def test_hundred_entities_cost_what_hundred_customers_cost(
    subgraph: Gateway, sandbox: Sandbox
) -> None:
    ids = [str(i) for i in range(1, 101)]
    customers = f"query ($ids: [ID!]!) {{ customers(ids: $ids) {{ {ALL_SOURCES} }} }}"
    listed = subgraph.query(customers, {"ids": ids})
    by_ids = sandbox.calls()
    sandbox.reset()
    body = subgraph.query(ENTITIES % ALL_SOURCES, {"representations": representations(ids)})
    assert "errors" not in body
    entities = body["data"]["_entities"]
    assert [e["id"] for e in entities] == ids
    assert all(e["__typename"] == "Customer" for e in entities)
    assert [{k: v for k, v in e.items() if k != "__typename"} for e in entities] == listed["data"][
        "customers"
    ]
    assert sandbox.calls() == by_ids
    assert by_ids == {api: math.ceil(100 / size) for api, size in MAX_BATCH.items()}


def test_entities_call_only_the_sources_the_selection_needs(
    subgraph: Gateway, sandbox: Sandbox
) -> None:
    body = subgraph.query(
        ENTITIES % "name loyalty { tier }", {"representations": representations(["3", "5"])}
    )
    assert "errors" not in body
    assert sandbox.calls() == {"crm": 1, "orders": 0, "loyalty": 1, "preferences": 0}
    (crm,) = sandbox.stats()["crm"]["events"]
    assert "fields=first_name,id,last_name&" in crm["query"] + "&"


def test_entities_through_a_named_fragment_still_plan_their_sources(
    subgraph: Gateway, sandbox: Sandbox
) -> None:
    query = """
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ...C }
    }
    fragment C on Customer { preferences { channel } }
    """
    body = subgraph.query(query, {"representations": representations(["3"])})
    assert "errors" not in body
    assert body["data"]["_entities"][0]["preferences"]
    assert sandbox.calls() == {"crm": 1, "orders": 0, "loyalty": 0, "preferences": 1}


INVALID: list[Any] = [
    {"__typename": "Vendor", "id": "1"},
    {"__typename": "Customer"},
    {"__typename": "Customer", "id": True},
    {"__typename": "Customer", "id": {"nested": "1"}},
    {"__typename": "Customer", "id": ""},
    {"id": "1"},
    "3",
    {"__typename": "Order", "id": "O-3-1"},
]


def test_invalid_representations_get_their_own_error_and_the_rest_stands(
    subgraph: Gateway, sandbox: Sandbox
) -> None:
    given = [{"__typename": "Customer", "id": "3"}, *INVALID, {"__typename": "Customer", "id": 4}]
    body = subgraph.query(ENTITIES % "id name", {"representations": given})
    entities = body["data"]["_entities"]
    assert entities[0]["id"] == "3"
    assert entities[-1]["id"] == "4"
    assert entities[1:-1] == [None] * len(INVALID)
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert set(errors) == {("_entities", i) for i in range(1, len(INVALID) + 1)}
    assert {e["extensions"]["code"] for e in errors.values()} == {"BAD_USER_INPUT"}
    assert "'Vendor' is not an entity" in errors[("_entities", 1)]["message"]
    assert "resolvable: false" in errors[("_entities", len(INVALID))]["message"]
    # The valid representations still cost one call.
    assert sandbox.calls()["crm"] == 1


def test_unknown_customers_are_null_without_an_error(subgraph: Gateway) -> None:
    body = subgraph.query(ENTITIES % "id", {"representations": representations(["999999", "3"])})
    assert body == {"data": {"_entities": [None, {"__typename": "Customer", "id": "3"}]}}


def test_entities_apply_the_customer_and_field_permissions(production_subgraph: Gateway) -> None:
    consumer = bearer(hs256(claims("3")))
    body = production_subgraph.query(
        ENTITIES % "id email",
        {"representations": representations(["3", "4"])},
        headers=consumer,
    )
    assert body["data"]["_entities"][0] == {
        "__typename": "Customer",
        "id": "3",
        "email": body["data"]["_entities"][0]["email"],
    }
    assert body["data"]["_entities"][0]["email"]
    assert body["data"]["_entities"][1] is None
    (refused,) = body["errors"]
    assert refused["path"] == ["_entities", 1]
    assert refused["extensions"]["code"] == "FORBIDDEN"
    partner = production_subgraph.query(
        ENTITIES % "id email",
        {"representations": representations(["3"])},
        headers={"x-api-key": PARTNER_KEY},
    )
    assert partner["data"]["_entities"] == [{"__typename": "Customer", "id": "3", "email": None}]
    (pii,) = partner["errors"]
    assert pii["path"] == ["_entities", 0, "email"]
    assert pii["extensions"]["code"] == "FORBIDDEN"


def test_representations_count_against_the_query_limits(subgraph: Gateway) -> None:
    too_many = representations([str(i) for i in range(1, 1002)])
    body = subgraph.query(ENTITIES % "id", {"representations": too_many})
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_LIMIT_EXCEEDED"
    assert error["extensions"]["limit"] == "listSize"


def test_entities_outside_federation_are_a_validation_error(gateway: Gateway) -> None:
    body = gateway.query("{ _service { sdl } }")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def _directives(node: Any) -> list[str]:
    return [graphql.print_ast(d) for d in node.directives or ()]


def test_entities_run_through_compiled_plans(sandbox_server: Sandbox) -> None:
    settings = sandbox_settings(
        sandbox_server.url, CG_CACHE__ENABLED="false", CG_FEDERATION__ENABLED="true"
    )
    app = create_app(settings)
    plans = app.state.gateway.fast_path
    with run_in_thread(app) as url:
        gateway = Gateway(url)
        variables = {"representations": representations(["3", "4"])}
        first = gateway.query(ENTITIES % "id name", variables)
        second = gateway.query(ENTITIES % "id name", variables)
    assert first == second
    assert [e["id"] for e in first["data"]["_entities"]] == ["3", "4"]
    assert (plans.planned, plans.prepared, plans.fell_back) == (2, 1, 0)
