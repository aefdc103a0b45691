"""Security settings are checked at start-up, and partner keys are configured only hashed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from auth import hash_api_key
from gateway.settings import ConfigError
from tests.conftest import sandbox_settings
from tests.tokens import auth_env


def _problems(**env: str) -> str:
    with pytest.raises(ConfigError) as caught:
        sandbox_settings("http://127.0.0.1:1", **env)
    return "\n".join(caught.value.problems)


def test_shipped_config_runs_in_development_mode() -> None:
    settings = sandbox_settings("http://127.0.0.1:1")
    assert settings.server.mode == "development"
    assert settings.server.graphiql_enabled
    assert settings.server.introspection_enabled


def test_production_without_any_credentials_is_refused() -> None:
    assert "server.mode: 'production' needs auth.jwt or auth.api_keys" in _problems(
        CG_SERVER__MODE="production"
    )


def test_production_tokens_need_issuer_and_audience() -> None:
    env = auth_env(CG_AUTH__JWT__ISSUER="")
    assert "production mode needs both issuer and audience" in _problems(**env)


def test_hs256_needs_a_long_secret() -> None:
    env = auth_env(CG_AUTH__JWT__HS256_SECRET="short")
    assert "hs256_secret must be at least 32 characters" in _problems(**env)


def test_asymmetric_algorithms_need_a_jwks_url() -> None:
    env = auth_env(CG_AUTH__JWT__ALGORITHMS='["RS256"]')
    assert "RS256 need jwks_url" in _problems(**env)


def test_alg_none_cannot_be_configured() -> None:
    assert "auth.jwt.algorithms" in _problems(**auth_env(CG_AUTH__JWT__ALGORITHMS='["none"]'))


def test_a_plain_text_api_key_is_refused() -> None:
    keys = '{"acme": {"sha256": "cgk_the-key-itself", "scopes": ["customers:read"]}}'
    assert "auth.api_keys.acme.sha256" in _problems(**auth_env(CG_AUTH__API_KEYS=keys))


def test_rates_must_parse() -> None:
    assert "not a rate limit like '100/minute'" in _problems(CG_LIMITS__RATE__STAFF="lots")


def test_limits_of_a_client_class_override_the_common_ones() -> None:
    settings = sandbox_settings(
        "http://127.0.0.1:1", CG_LIMITS__QUERY_BY_CLASS__PARTNER__MAX_DEPTH="6"
    )
    partner = settings.limits.query_limits("partner")
    assert (partner.max_depth, partner.max_cost) == (6, settings.limits.query.max_cost)
    assert settings.limits.query_limits("consumer").max_cost == 20_000
    assert settings.limits.query_limits("staff") == settings.limits.query


def test_hash_key_command_prints_the_hash_to_configure() -> None:
    key = "cgk_example-0123456789"
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "hash-key"],
        input=f"{key}\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == f"{hash_api_key(key)}\n"
