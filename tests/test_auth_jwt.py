"""Bearer tokens: HS256 with the shared secret, RS256 and ES256 from a JWKS, key rotation,
and every way a token can be wrong, each refused with 401 and a message that says why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Sandbox, sandbox_settings
from tests.tokens import (
    EC_KEY,
    RSA_KEY,
    RSA_KEY_2,
    Clock,
    KeySet,
    auth_env,
    bearer,
    claims,
    es256,
    hs256,
    hs256_with_bytes,
    jwks_server,
    public_jwk,
    public_pem,
    rs256,
    staff_claims,
    unsigned,
)

ME = "{ me { id } }"


class TokenGateway:
    """A production gateway trusting the test issuer, with its key set and clock."""

    def __init__(self, url: str, keyset: KeySet, clock: Clock) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)
        self.keyset = keyset
        self.clock = clock

    def post(self, token: str, query: str = ME) -> httpx.Response:
        return self.http.post("/graphql", json={"query": query}, headers=bearer(token))


@contextmanager
def token_gateway(sandbox_url: str, keyset: KeySet, **env: str) -> Iterator[TokenGateway]:
    clock = Clock()
    with jwks_server(keyset) as jwks_url:
        settings = sandbox_settings(sandbox_url, **auth_env(jwks_url, **env))
        with run_in_thread(create_app(settings, clock=clock)) as url:
            yield TokenGateway(url, keyset, clock)


@pytest.fixture(scope="module")
def tokens(sandbox_server: Sandbox) -> Iterator[TokenGateway]:
    keyset = KeySet(public_jwk(RSA_KEY, "rsa-1"), public_jwk(EC_KEY, "ec-1"))
    with token_gateway(sandbox_server.url, keyset) as gateway:
        yield gateway


def test_hs256_token_signed_with_the_shared_secret_is_accepted(tokens: TokenGateway) -> None:
    response = tokens.post(hs256(claims("7")))
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"id": "7"}}}


def test_rs256_token_is_verified_with_a_key_from_the_jwks(tokens: TokenGateway) -> None:
    token = rs256(staff_claims("customers:read"), kid="rsa-1")
    response = tokens.post(token, '{ customer(id: "3") { id } }')
    assert response.status_code == 200
    assert response.json() == {"data": {"customer": {"id": "3"}}}


def test_es256_token_is_verified_with_a_key_from_the_jwks(tokens: TokenGateway) -> None:
    response = tokens.post(es256(claims("12"), kid="ec-1"))
    assert response.json() == {"data": {"me": {"id": "12"}}}


def test_a_token_just_past_expiry_is_accepted_within_the_leeway(tokens: TokenGateway) -> None:
    now = int(tokens.clock())
    token = hs256(claims("7", exp=now - 20))
    assert tokens.post(token).json() == {"data": {"me": {"id": "7"}}}


def test_a_token_issued_just_ahead_of_our_clock_is_accepted_within_the_leeway(
    tokens: TokenGateway,
) -> None:
    now = int(tokens.clock())
    token = hs256(claims("7", iat=now + 20))
    assert tokens.post(token).json() == {"data": {"me": {"id": "7"}}}


NOW = int(Clock()())

REFUSED = {
    "expired": (hs256(claims(exp=NOW - 31)), "token has expired"),
    "not yet valid": (hs256(claims(nbf=NOW + 31)), "token is not yet valid"),
    # The outside probe's token: issued an hour from now, otherwise valid.
    "issued in the future": (
        hs256(claims(iat=NOW + 3600, exp=NOW + 7200)),
        "token is issued in the future",
    ),
    "iat not a time": (
        hs256(claims(iat="yesterday")),
        "token has an invalid 'exp', 'nbf' or 'iat' claim",
    ),
    "wrong issuer": (hs256(claims(iss="https://evil.example")), "token issuer is not accepted"),
    "wrong audience": (hs256(claims(aud="another-api")), "token audience is not accepted"),
    "no audience": (hs256(claims(aud=None)), "token has no 'aud' claim"),
    "no expiry": (hs256(claims(exp=None)), "token has no 'exp' claim"),
    "bad signature": (
        rs256(claims(), kid="rsa-1", key=RSA_KEY_2),
        "token signature is invalid",
    ),
    "wrong HS256 secret": (
        hs256(claims(), secret="another-secret-0123456789-abcdefghij"),
        "token signature is invalid",
    ),
    "alg none": (
        unsigned(claims()),
        "token algorithm 'none' is not accepted (accepted: HS256, RS256, ES256)",
    ),
    "HS256 signed with the RS public key": (
        hs256_with_bytes(claims(), public_pem(RSA_KEY), kid="rsa-1"),
        "token signature is invalid",
    ),
    "RS256 token naming an EC key": (
        rs256(claims(), kid="ec-1"),
        "token signing key is unknown",
    ),
    "malformed": ("not-a-token", "token is malformed"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_token_is_refused_with_401_and_a_clear_message(
    tokens: TokenGateway, sandbox: Sandbox, case: str
) -> None:
    token, message = REFUSED[case]
    response = tokens.post(token, '{ customer(id: "7") { id email } }')
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]
    }
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="customer-graph", error="invalid_token", '
        f'error_description="{message.replace(chr(34), chr(39))}"'
    )
    assert sum(sandbox.calls().values()) == 0


def test_hs256_signed_with_the_public_key_is_refused_where_only_rs256_is_accepted(
    sandbox_server: Sandbox,
) -> None:
    keyset = KeySet(public_jwk(RSA_KEY, "rsa-1"))
    with token_gateway(sandbox_server.url, keyset, CG_AUTH__JWT__ALGORITHMS='["RS256"]') as gateway:
        forged = hs256_with_bytes(claims(), public_pem(RSA_KEY), kid="rsa-1")
        response = gateway.post(forged)
        assert gateway.post(rs256(claims(), kid="rsa-1")).json() == {"data": {"me": {"id": "7"}}}
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == (
        "token algorithm 'HS256' is not accepted (accepted: RS256)"
    )


def test_request_without_credentials_is_refused_in_production(tokens: TokenGateway) -> None:
    response = tokens.http.post("/graphql", json={"query": ME})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="customer-graph"'
    assert response.json()["errors"][0] == {
        "message": "authentication required: send a bearer token or an API key",
        "extensions": {"code": "UNAUTHENTICATED"},
    }


def test_other_authorization_schemes_are_refused(tokens: TokenGateway) -> None:
    response = tokens.http.post(
        "/graphql", json={"query": ME}, headers={"authorization": "Basic dXNlcjpwYXNz"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == (
        "the Authorization header must be 'Bearer <token>'"
    )


def test_rotation_to_a_new_kid_refetches_the_key_set(sandbox_server: Sandbox) -> None:
    keyset = KeySet(public_jwk(RSA_KEY, "2024"))
    with token_gateway(sandbox_server.url, keyset) as gateway:
        assert gateway.post(rs256(claims("7"), kid="2024")).status_code == 200
        assert gateway.post(rs256(claims("7"), kid="2024")).status_code == 200
        assert keyset.fetches == 1

        # The provider rotates: a new key under a new kid signs from now on.
        keyset.keys = [public_jwk(RSA_KEY_2, "2025"), public_jwk(RSA_KEY, "2024")]
        gateway.clock.advance(11)
        rotated = gateway.post(rs256(claims("8", now=gateway.clock()), kid="2025", key=RSA_KEY_2))
        assert rotated.json() == {"data": {"me": {"id": "8"}}}
        assert keyset.fetches == 2

        # Made-up kids right after a refresh do not make the gateway refetch.
        for _ in range(3):
            unknown = gateway.post(rs256(claims("8", now=gateway.clock()), kid="nope"))
            assert unknown.status_code == 401
            assert unknown.json()["errors"][0]["message"] == "token signing key is unknown"
        assert keyset.fetches == 2


def test_key_set_is_refetched_when_its_cache_expires(sandbox_server: Sandbox) -> None:
    keyset = KeySet(public_jwk(RSA_KEY, "a"))
    with token_gateway(
        sandbox_server.url, keyset, CG_AUTH__JWT__JWKS_CACHE_SECONDS="60"
    ) as gateway:
        assert gateway.post(rs256(claims(), kid="a")).status_code == 200
        gateway.clock.advance(61)
        # The provider withdrew key "a": once the cache expires, its tokens are refused.
        keyset.keys = [public_jwk(RSA_KEY_2, "b")]
        response = gateway.post(rs256(claims(now=gateway.clock()), kid="a"))
    assert response.status_code == 401
    assert keyset.fetches == 2


def test_unreachable_key_set_answers_503(sandbox_server: Sandbox) -> None:
    env = auth_env("http://127.0.0.1:9/jwks.json")
    with run_in_thread(create_app(sandbox_settings(sandbox_server.url, **env))) as url:
        token = rs256(claims(), kid="rsa-1")
        response = httpx.post(f"{url}/graphql", json={"query": ME}, headers=bearer(token))
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"] == {"code": "AUTH_UNAVAILABLE"}
