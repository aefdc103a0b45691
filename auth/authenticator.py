"""From a request's credentials to an ``Identity``: bearer token, API key, or anonymous."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auth.api_keys import ApiKeyRegistry
from auth.config import AuthSettings, JwtSettings
from auth.identity import Identity
from auth.jwt import TokenVerifier
from core import Unauthenticated


class Authenticator:
    """Decides who a request comes from; raises ``Unauthenticated`` when it cannot."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        tokens: TokenVerifier | None,
        allow_anonymous: bool,
    ) -> None:
        self._settings = settings
        self._tokens = tokens
        self._keys = ApiKeyRegistry(settings.api_keys)
        self._allow_anonymous = allow_anonymous

    async def authenticate(
        self, authorization: str | None, api_key: str | None, client_address: str
    ) -> Identity:
        """The caller behind an ``Authorization`` header, an API key header, or neither."""
        if authorization is not None and api_key is not None:
            raise Unauthenticated("send either a bearer token or an API key, not both")
        if api_key is not None:
            if not self._keys:
                raise Unauthenticated("API keys are not accepted here")
            return self._keys.identify(api_key.strip())
        if authorization is not None and (self._tokens is not None or not self._allow_anonymous):
            token = bearer_token(authorization)
            if token is None:
                raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
            if self._tokens is None or self._settings.jwt is None:
                raise Unauthenticated("bearer tokens are not accepted here")
            claims = await self._tokens.verify(token)
            return identity_from_claims(claims, self._settings.jwt)
        # In development without token verification configured, an Authorization header
        # identifies no one: the caller is the anonymous developer (the header may still be
        # forwarded to upstreams that want the caller's token).
        if self._allow_anonymous:
            return Identity.anonymous(client_address, self._settings.anonymous_scopes)
        raise Unauthenticated("authentication required: send a bearer token or an API key")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value; None for any other value."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def identity_from_claims(claims: Mapping[str, Any], settings: JwtSettings) -> Identity:
    """Staff when the staff claim carries a staff value; otherwise the consumer it names."""
    scopes = _words(_claim(claims, settings.scopes_claim))
    if set(_words(_claim(claims, settings.staff_claim))) & set(settings.staff_values):
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated("token has no 'sub' claim")
        return Identity.staff(subject, scopes)
    customer_id = _claim(claims, settings.customer_id_claim)
    if isinstance(customer_id, int) and not isinstance(customer_id, bool):
        customer_id = str(customer_id)
    if not isinstance(customer_id, str) or not customer_id:
        raise Unauthenticated(f"token has no '{settings.customer_id_claim}' claim")
    return Identity.consumer(customer_id, scopes)


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    # Namespaced claims (Auth0: "https://example.com/roles") contain dots themselves, so the
    # whole name is tried before it is read as a path ("realm_access.roles" in Keycloak).
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _words(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list | tuple):
        return tuple(v for v in value if isinstance(v, str))
    return ()
