"""The schema as a contract: the committed SDL matches the code, changes that break clients
are reported, and the SDL is served over HTTP to those allowed to read it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    specified_scalar_types,
)

from gateway.app import create_app
from gateway.cli import main
from gateway.schema_command import COMMITTED_SDL, REGENERATE
from sandbox.server import run_in_thread
from schema import build_schema
from schema.internals import graphql_schema
from tests.conftest import Gateway, Sandbox, sandbox_settings
from tests.tokens import NOW, PARTNER_KEY, auth_env, bearer, hs256, staff_claims

ROOT = Path(__file__).resolve().parent.parent
SCOPE = "schema:read"


def printed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["schema", *argv])
    return code, capsys.readouterr().out


def test_the_committed_sdl_is_the_schema_the_code_serves(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, sdl = printed(capsys)
    assert code == 0
    committed = (ROOT / COMMITTED_SDL).read_text(encoding="utf-8")
    assert sdl == committed, f"{COMMITTED_SDL} differs from the schema; run `{REGENERATE}`"


def test_the_code_has_no_change_from_the_committed_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = printed(capsys, "--check", str(ROOT / COMMITTED_SDL))
    assert (code, report) == (0, f"0 breaking, 0 dangerous change(s) from {ROOT / COMMITTED_SDL}\n")


def test_a_removed_field_and_a_changed_type_are_breaking(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A base where Customer has one field more and city is an Int: against it, today's
    # schema removed a field and changed a type.
    committed = (ROOT / COMMITTED_SDL).read_text(encoding="utf-8")
    base = committed.replace("type Customer {\n", "type Customer {\n  nickname: String\n", 1)
    customer = base.index("type Customer {")
    city = base.index("  city: String\n", customer)
    base = base[:city] + "  city: Int\n" + base[city + len("  city: String\n") :]
    assert base.index("}", customer) > city
    (tmp_path / "base.graphql").write_text(base, encoding="utf-8")
    code, report = printed(capsys, "--check", str(tmp_path / "base.graphql"))
    assert code == 1
    assert "breaking   FIELD_REMOVED: Field Customer.nickname was removed." in report
    changed = "Field Customer.city changed type from Int to String."
    assert f"breaking   FIELD_CHANGED_KIND: {changed}" in report
    assert "2 breaking, 0 dangerous" in report


def test_a_new_enum_value_is_dangerous_not_breaking(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The base's Segment had no VIP: a client generated from it may meet a value it does
    # not know, but nothing it sends fails.
    committed = (ROOT / COMMITTED_SDL).read_text(encoding="utf-8")
    base = committed.replace('  """Consumers looked after personally."""\n  VIP\n', "")
    assert base != committed
    (tmp_path / "base.graphql").write_text(base, encoding="utf-8")
    code, report = printed(capsys, "--check", str(tmp_path / "base.graphql"))
    assert code == 0
    assert "0 breaking, 1 dangerous" in report
    assert "dangerous  VALUE_ADDED_TO_ENUM: Enum value Segment.VIP was added." in report


def test_a_base_that_is_not_sdl_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "base.graphql").write_text("type Query {", encoding="utf-8")
    assert main(["schema", "--check", str(tmp_path / "base.graphql")]) == 2
    error = capsys.readouterr().err
    assert "base.graphql: the base schema is not valid SDL: Syntax Error" in error


def test_the_subgraph_sdl_carries_the_federation_directives(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "subgraph.toml"
    config.write_text(
        (ROOT / "gateway" / "sandbox.toml").read_text(encoding="utf-8")
        + "\n[federation]\nenabled = true\n",
        encoding="utf-8",
    )
    code, sdl = printed(capsys, "--config", str(config))
    assert code == 0
    assert 'type Customer @key(fields: "id")' in sdl
    assert '@requiresScopes(scopes: [["pii:read"]])' in sdl
    # The subgraph adds nothing a client of the standalone schema relies on.
    code, report = printed(capsys, "--config", str(config), "--check", str(ROOT / COMMITTED_SDL))
    assert code == 0
    assert "0 breaking" in report


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    schema = graphql_schema(build_schema())
    undescribed = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in specified_scalar_types:
            continue
        if not type_.description:
            undescribed.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    undescribed.append(f"{name}.{field_name}")
                undescribed += [
                    f"{name}.{field_name}({arg}:)"
                    for arg, argument in field.args.items()
                    if not argument.description
                ]
        elif isinstance(type_, GraphQLInputObjectType):
            undescribed += [f"{name}.{f}" for f, d in type_.fields.items() if not d.description]
        elif isinstance(type_, GraphQLEnumType):
            undescribed += [f"{name}.{v}" for v, d in type_.values.items() if not d.description]
    assert undescribed == []


def test_fields_needing_a_scope_say_so_in_the_sdl() -> None:
    sdl = (ROOT / COMMITTED_SDL).read_text(encoding="utf-8")
    assert "directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION" in sdl
    for field in ("email: String", "phone: String", "birthDate: Date"):
        assert f'  {field} @requiresScopes(scopes: [["pii:read"]])\n' in sdl
    assert sdl.count('@requiresScopes(scopes: [["') == 3
    assert sdl.count("Personal data: needs the pii:read scope") == 3


def test_development_serves_the_sdl_to_anyone(gateway: Gateway, sandbox: Sandbox) -> None:
    response = gateway.http.get("/graphql/schema.graphql")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == (ROOT / COMMITTED_SDL).read_text(encoding="utf-8")
    again = gateway.http.get(
        "/graphql/schema.graphql", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert sum(sandbox.calls().values()) == 0


def test_the_sdl_is_only_read(gateway: Gateway) -> None:
    response = gateway.http.post("/graphql/schema.graphql", content=b"")
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.fixture(scope="module")
def production(sandbox_server: Sandbox) -> Iterator[httpx.Client]:
    settings = sandbox_settings(sandbox_server.url, **auth_env())
    with run_in_thread(create_app(settings, clock=lambda: NOW)) as url:
        yield httpx.Client(base_url=url, timeout=10)


def test_production_needs_credentials_for_the_sdl(production: httpx.Client) -> None:
    response = production.get("/graphql/schema.graphql")
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_production_serves_the_sdl_only_with_the_configured_scope(
    production: httpx.Client,
) -> None:
    refused = production.get("/graphql/schema.graphql", headers={"X-API-Key": PARTNER_KEY})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    allowed = production.get(
        "/graphql/schema.graphql", headers=bearer(hs256(staff_claims(f"customers:read {SCOPE}")))
    )
    assert allowed.status_code == 200
    assert allowed.text == (ROOT / COMMITTED_SDL).read_text(encoding="utf-8")
