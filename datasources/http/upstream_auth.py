"""Credentials a source presents to its upstream: a static header, or an OAuth2 token.

Secret values arrive already resolved (only the gateway reads the environment). Nothing here
logs a secret or a token or puts one in an error message. The token endpoint is called here,
and its failures become gateway errors through ``transport.py``, as every upstream call's do.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Mapping
from typing import Any, Final

import httpx
import structlog

from core import (
    Clock,
    UpstreamDataInvalid,
)
from datasources.config import (
    BearerAuth,
    HeaderAuth,
    OAuth2ClientCredentials,
    SourceConfig,
)
from datasources.http.transport import status_error, timeout_of, transport_errors

log = structlog.get_logger("customer_graph.datasources")


_NO_HEADERS: Final[Mapping[str, str]] = {}
# OAuth2 error codes are short ASCII words (RFC 6749 5.2); anything else is not repeated.
_OAUTH_ERROR = re.compile(r"[a-z_]{1,40}")
_TOKEN_ENDPOINT = "the upstream's token endpoint"


class UpstreamAuth:
    """No credentials; the base of every kind of upstream authentication."""

    async def headers(self) -> Mapping[str, str]:
        """The headers that authenticate one request."""
        return _NO_HEADERS

    def rejected(self, sent: Mapping[str, str]) -> bool:
        """The upstream answered 401 to ``sent``; True when renewed credentials may succeed."""
        return False


class StaticHeaderAuth(UpstreamAuth):
    """The same header on every request: an API key or a long-lived bearer token."""

    def __init__(self, header: str, value: str) -> None:
        self._headers = {header.lower(): value}

    async def headers(self) -> Mapping[str, str]:
        return self._headers


class OAuth2ClientCredentialsAuth(UpstreamAuth):
    """A bearer token from an OAuth2 token endpoint, cached until shortly before it expires.

    Concurrent requests that find no valid token wait for one renewal instead of each
    asking the token endpoint; a 401 from the upstream drops the token it was sent with.
    """

    def __init__(
        self,
        source: str,
        config: OAuth2ClientCredentials,
        client_id: str,
        client_secret: str,
        http: httpx.AsyncClient,
        timeout: httpx.Timeout,
        clock: Clock = time.monotonic,
    ) -> None:
        self._source = source
        self._config = config
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = http
        self._timeout = timeout
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    async def headers(self) -> Mapping[str, str]:
        token = self._valid_token()
        if token is None:
            async with self._lock:
                # Whoever held the lock before us may have renewed it already.
                token = self._valid_token() or await self._renew()
        return {"authorization": f"Bearer {token}"}

    def rejected(self, sent: Mapping[str, str]) -> bool:
        if self._token is not None and sent.get("authorization") == f"Bearer {self._token}":
            self._token = None
        return True

    def _valid_token(self) -> str | None:
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        return None

    async def _renew(self) -> str:
        token, lifetime = await self._fetch()
        now = self._clock()
        if lifetime is None:
            # No expiry announced: keep it until the upstream refuses it.
            self._renew_at = math.inf
        else:
            # Renew ahead of expiry, but never sooner than half-way through a short lifetime.
            self._renew_at = now + max(lifetime - self._config.refresh_before, lifetime / 2)
        self._token = token
        log.info("upstream access token obtained", source=self._source, expires_in=lifetime)
        return token

    async def _fetch(self) -> tuple[str, float | None]:
        cfg = self._config
        form = {"grant_type": "client_credentials"}
        if cfg.scope:
            form["scope"] = cfg.scope
        if cfg.audience:
            form["audience"] = cfg.audience
        auth: tuple[str, str] | None = None
        if cfg.client_auth == "basic":
            auth = (self._client_id, self._client_secret)
        else:
            form.update(client_id=self._client_id, client_secret=self._client_secret)
        with transport_errors(_TOKEN_ENDPOINT, self._source):
            response = await self._http.post(
                cfg.token_url,
                data=form,
                auth=auth,  # type: ignore[arg-type]
                headers={"accept": "application/json"},
                timeout=self._timeout,
            )
        return self._token_of(response)

    def _token_of(self, response: httpx.Response) -> tuple[str, float | None]:
        body = _json_object(response)
        code = body.get("error")
        detail = f" ({code})" if isinstance(code, str) and _OAUTH_ERROR.fullmatch(code) else ""
        failure = status_error(
            response.status_code,
            response.headers,
            _TOKEN_ENDPOINT,
            self._source,
            refused=f"refused the client credentials{detail}",
        )
        if failure is not None:
            raise failure
        token = body.get("access_token")
        token_type = body.get("token_type", "Bearer")
        if not isinstance(token, str) or not token:
            raise self._invalid("answered without an access_token")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise self._invalid("answered a token that is not a bearer token")
        expires_in = body.get("expires_in")
        try:
            lifetime = float(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            lifetime = None
        return token, lifetime if lifetime is None or lifetime > 0 else None

    def _invalid(self, what: str) -> UpstreamDataInvalid:
        return UpstreamDataInvalid(f"{_TOKEN_ENDPOINT} {what}", source=self._source)


def upstream_auth(
    name: str,
    config: SourceConfig,
    secrets: Mapping[str, str],
    http: httpx.AsyncClient,
    clock: Clock = time.monotonic,
) -> UpstreamAuth:
    """The authentication that ``config.auth`` describes, with its secrets from ``secrets``."""
    auth = config.auth

    def secret(var: str) -> str:
        value = secrets.get(var)
        if not value:
            raise ValueError(f"source {name!r}: the secret in {var!r} was not provided")
        return value

    if isinstance(auth, HeaderAuth):
        return StaticHeaderAuth(auth.header, secret(auth.value_env))
    if isinstance(auth, BearerAuth):
        return StaticHeaderAuth("authorization", f"Bearer {secret(auth.token_env)}")
    if isinstance(auth, OAuth2ClientCredentials):
        return OAuth2ClientCredentialsAuth(
            name,
            auth,
            secret(auth.client_id_env),
            secret(auth.client_secret_env),
            http,
            timeout_of(config.timeouts),
            clock,
        )
    return UpstreamAuth()


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
