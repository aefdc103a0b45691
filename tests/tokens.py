"""Test credentials: signing keys, a JWKS server, token minting, API keys and a clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth import hash_api_key
from sandbox.server import run_in_thread

ISSUER = "https://id.example.test/realms/customers"
AUDIENCE = "customer-graph"
HS256_SECRET = "dev-secret-0123456789-abcdefghijklmnop"
NOW = 1_750_000_000.0

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_KEY_2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())

PARTNER_KEY = "cgk_partner-without-pii-0123456789abcdefghijklmn"
PII_PARTNER_KEY = "cgk_partner-with-pii-0123456789abcdefghijklmnopq"


class Clock:
    """A clock the test moves; starts at ``NOW``."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def public_jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any]
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        jwk["alg"] = "RS256"
    else:
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
        jwk["alg"] = "ES256"
    return {**jwk, "kid": kid, "use": "sig"}


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def claims(subject: str = "7", *, now: float = NOW, **extra: Any) -> dict[str, Any]:
    """Valid claims for a consumer at ``now``; ``extra`` adds or replaces claims."""
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": int(now),
        "exp": int(now) + 300,
    }
    return {k: v for k, v in {**base, **extra}.items() if v is not None}


def staff_claims(scope: str, subject: str = "staff-1", **extra: Any) -> dict[str, Any]:
    return claims(subject, roles=["staff"], scope=scope, **extra)


def hs256(payload: dict[str, Any], secret: str = HS256_SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def rs256(payload: dict[str, Any], kid: str, key: rsa.RSAPrivateKey = RSA_KEY) -> str:
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def es256(payload: dict[str, Any], kid: str, key: ec.EllipticCurvePrivateKey = EC_KEY) -> str:
    return jwt.encode(payload, key, algorithm="ES256", headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(payload).encode())}."


def hs256_with_bytes(payload: dict[str, Any], secret: bytes, kid: str | None = None) -> str:
    """HS256 signed with any bytes, e.g. an RSA public key (PyJWT refuses to do that)."""
    head: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        head["kid"] = kid
    signing_input = f"{_b64(json.dumps(head).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


class KeySet:
    """The keys a test identity provider publishes, and how often they were fetched."""

    def __init__(self, *jwks: dict[str, Any]) -> None:
        self.keys = list(jwks)
        self.fetches = 0

    def app(self) -> Starlette:
        async def serve(request: Request) -> Response:
            self.fetches += 1
            return JSONResponse({"keys": self.keys})

        return Starlette(routes=[Route("/jwks.json", serve)])


@contextmanager
def jwks_server(keyset: KeySet) -> Iterator[str]:
    """Serve ``keyset`` on 127.0.0.1; yields the JWKS URL."""
    with run_in_thread(keyset.app()) as url:
        yield f"{url}/jwks.json"


def auth_env(jwks_url: str | None = None, **more: str) -> dict[str, str]:
    """CG_* settings for a production gateway accepting the test issuer's tokens."""
    algorithms = ["HS256"] + (["RS256", "ES256"] if jwks_url else [])
    env = {
        "CG_SERVER__MODE": "production",
        # No entity cache: each test sees exactly its own upstream calls.
        "CG_CACHE__ENABLED": "false",
        "CG_AUTH__JWT__ISSUER": ISSUER,
        "CG_AUTH__JWT__AUDIENCE": json.dumps([AUDIENCE]),
        "CG_AUTH__JWT__ALGORITHMS": json.dumps(algorithms),
        "CG_AUTH__JWT__HS256_SECRET": HS256_SECRET,
        "CG_AUTH__API_KEYS": json.dumps(
            {
                "acme": {"sha256": hash_api_key(PARTNER_KEY), "scopes": ["customers:read"]},
                "bank": {
                    "sha256": hash_api_key(PII_PARTNER_KEY),
                    "scopes": ["customers:read", "pii:read"],
                },
            }
        ),
    }
    if jwks_url:
        env["CG_AUTH__JWT__JWKS_URL"] = jwks_url
    return {**env, **more}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
