"""HTTP hardening: body size limit, CORS by origin list, security headers on GraphiQL."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest

from gateway.app import create_app
from gateway.cors import origin_allowed
from gateway.settings import Settings
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox, sandbox_settings

ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def hardened(sandbox_server: Sandbox) -> Iterator[httpx.Client]:
    settings = sandbox_settings(
        sandbox_server.url,
        CG_HTTP__MAX_BODY_BYTES="4096",
        CG_HTTP__CORS_ORIGINS=f'["{ORIGIN}"]',
        CG_APQ__GET_CACHE_CONTROL="private, max-age=30",
    )
    with run_in_thread(create_app(settings)) as url:
        yield httpx.Client(base_url=url, timeout=10)


def _too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": "request body is larger than 4096 bytes",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }


def test_declared_body_over_the_limit_is_refused(hardened: httpx.Client, sandbox: Sandbox) -> None:
    padding = " " * 5000
    _too_large(hardened.post("/graphql", json={"query": '{ customer(id: "1") { id } }' + padding}))
    assert sum(sandbox.calls().values()) == 0


def test_chunked_body_over_the_limit_is_refused(hardened: httpx.Client, sandbox: Sandbox) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ customer(id: \\"1\\") { id } }", "x": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = hardened.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    _too_large(response)
    assert sum(sandbox.calls().values()) == 0


def test_body_within_the_limit_is_served(hardened: httpx.Client) -> None:
    response = hardened.post("/graphql", json={"query": '{ customer(id: "1") { id } }'})
    assert response.json() == {"data": {"customer": {"id": "1"}}}


def test_cors_preflight_from_an_allowed_origin(hardened: httpx.Client) -> None:
    response = hardened.options(
        "/graphql",
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


def test_cors_refuses_other_origins(hardened: httpx.Client) -> None:
    preflight = hardened.options(
        "/graphql",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    simple = hardened.post(
        "/graphql",
        json={"query": '{ customer(id: "1") { id } }'},
        headers={"origin": "https://evil.example"},
    )
    assert "access-control-allow-origin" not in simple.headers


def test_no_cors_headers_without_configured_origins(gateway: Gateway) -> None:
    response = gateway.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": ORIGIN}
    )
    assert "access-control-allow-origin" not in response.headers


def test_graphiql_page_carries_a_content_security_policy_that_names_only_the_gateway(
    gateway: Gateway,
) -> None:
    page = gateway.http.get("/graphql", headers={"accept": "text/html"})
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    if page.status_code == 200:  # 503 without GraphiQL's files: the page then says so
        inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
        assert len(inline) == 1
        digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
        assert policy["script-src"].split() == ["'self'", f"'sha256-{digest}'", "'unsafe-eval'"]
    assert "https:" not in page.headers["content-security-policy"]
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert src.startswith(("/graphiql/", "data:")), src
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self'"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"


def test_api_responses_carry_nosniff_and_no_referrer(gateway: Gateway) -> None:
    response = gateway.http.post("/graphql", json={"query": "{ __typename }"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in response.headers


def test_cacheable_answers_vary_by_credentials(hardened: httpx.Client) -> None:
    response = hardened.get("/graphql", params={"query": '{ customer(id: "1") { id } }'})
    assert response.headers["cache-control"] == "private, max-age=30"
    varies = {v.strip().lower() for v in response.headers["vary"].split(",")}
    assert {"authorization", "x-api-key"} <= varies


DEV_SERVER = "http://localhost:5173"


def test_development_mode_lets_a_localhost_dev_server_call_with_apollo_headers(
    gateway: Gateway,
) -> None:
    preflight = gateway.http.options(
        "/graphql",
        headers={
            "origin": DEV_SERVER,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, apollographql-client-name, "
            "apollographql-client-version, x-request-id",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == DEV_SERVER
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "apollographql-client-name" in allowed
    assert "apollographql-client-version" in allowed
    answer = gateway.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": DEV_SERVER}
    )
    assert answer.headers["access-control-allow-origin"] == DEV_SERVER
    assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()


def test_localhost_pages_are_refused_where_only_listed_origins_may_call(
    sandbox_server: Sandbox,
) -> None:
    settings = sandbox_settings(
        sandbox_server.url,
        CG_HTTP__CORS_ORIGINS=f'["{ORIGIN}"]',
        CG_HTTP__CORS_LOCALHOST="false",
    )
    with run_in_thread(create_app(settings)) as url, httpx.Client(base_url=url) as client:
        preflight = client.options(
            "/graphql",
            headers={"origin": DEV_SERVER, "access-control-request-method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers
        listed = client.options(
            "/graphql", headers={"origin": ORIGIN, "access-control-request-method": "POST"}
        )
        assert listed.headers["access-control-allow-origin"] == ORIGIN


def test_production_mode_allows_only_the_listed_origins() -> None:
    settings = Settings.model_validate(
        {
            "server": {"mode": "production"},
            "auth": {"api_keys": {"acme": {"sha256": "0" * 64, "scopes": []}}},
            "http": {"cors_origins": [ORIGIN]},
            "sources": sandbox_settings("http://127.0.0.1:1").model_dump()["sources"],
        }
    )
    assert origin_allowed(settings, ORIGIN)
    assert not origin_allowed(settings, DEV_SERVER)
    assert not origin_allowed(settings, "http://127.0.0.1:3000")
