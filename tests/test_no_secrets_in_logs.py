"""No token, API key or secret ever appears in logs, error messages or response headers."""

from __future__ import annotations

import json
import logging
import uuid

import httpx
import pytest
import structlog

from auth import hash_api_key
from gateway.app import create_app
from sandbox.server import run_in_thread
from tests.conftest import Sandbox, sandbox_settings
from tests.tokens import (
    HS256_SECRET,
    PII_PARTNER_KEY,
    RSA_KEY,
    RSA_KEY_2,
    Clock,
    KeySet,
    auth_env,
    bearer,
    claims,
    hs256,
    jwks_server,
    public_jwk,
    rs256,
    staff_claims,
    unsigned,
)

LIMITED_KEY = "cgk_log-test-limited-0123456789abcdefghijklmnopq"
WRONG_KEY = "cgk_log-test-wrong-0123456789abcdefghijklmnopqrst"


def test_logs_and_answers_never_contain_credentials(
    sandbox_server: Sandbox,
    sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    now = Clock()()
    tokens = {
        "valid consumer": hs256(claims("7")),
        "valid staff": rs256(staff_claims("customers:read"), kid="k1"),
        "expired": hs256(claims("7", exp=int(now) - 3600)),
        "wrong secret": hs256(claims("7"), secret="not-the-secret-0123456789-abcdefghij"),
        "foreign key": rs256(claims("7"), kid="k1", key=RSA_KEY_2),
        "unknown kid": rs256(claims("7"), kid="k9"),
        "alg none": unsigned(claims("7")),
    }
    keyset = KeySet(public_jwk(RSA_KEY, "k1"))
    env = auth_env()
    keys = json.loads(env["CG_AUTH__API_KEYS"])
    keys["limited"] = {"sha256": hash_api_key(LIMITED_KEY), "rate_limit": "1/minute"}
    answers: list[httpx.Response] = []
    with structlog.testing.capture_logs() as events, jwks_server(keyset) as jwks_url:
        settings = sandbox_settings(
            sandbox_server.url,
            **auth_env(
                jwks_url,
                CG_AUTH__API_KEYS=json.dumps(keys),
                CG_LIMITS__RATE__KEY_PREFIX=f"test-{uuid.uuid4().hex}",
            ),
        )
        with run_in_thread(create_app(settings, clock=Clock())) as url:
            http = httpx.Client(base_url=url, timeout=10)
            # An upstream failing too, so error paths run while credentials are present.
            sandbox.set_faults(loyalty={"failure_rate": 1.0, "status": 500})
            query = {"query": '{ customer(id: "7") { id email loyalty { tier } } }'}
            for token in tokens.values():
                answers.append(http.post("/graphql", json=query, headers=bearer(token)))
            for key in (PII_PARTNER_KEY, WRONG_KEY, LIMITED_KEY, LIMITED_KEY):
                answers.append(http.post("/graphql", json=query, headers={"x-api-key": key}))
            answers.append(
                http.get("/graphql", params=query, headers=bearer(tokens["wrong secret"]))
            )

    assert [a.status_code for a in answers[:7]] == [200, 200, 401, 401, 401, 401, 401]
    assert [a.status_code for a in answers[7:]] == [200, 401, 200, 429, 401]
    out, err = capfd.readouterr()
    logged = "\n".join([caplog.text, repr(events), out, err])
    answered = "\n".join(a.text + repr(a.headers) for a in answers)
    # The captures are not empty: refusals and upstream failures were logged.
    assert any(e["event"] == "authentication failed" for e in events)
    assert "UPSTREAM" in answered

    secrets = [HS256_SECRET, PII_PARTNER_KEY, WRONG_KEY, LIMITED_KEY]
    for token in tokens.values():
        secrets += [token, token.rsplit(".", 1)[-1] or token]
    for secret in secrets:
        assert secret not in logged
        assert secret not in answered
