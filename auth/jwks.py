"""The identity provider's signing keys, fetched from its JWKS URL and cached.

Keys are refetched when the cache is older than its lifetime, and early when a token names
a ``kid`` we do not know (the provider rotated its keys), at most once per
``min_refresh_seconds`` so tokens with made-up kids cannot make us hammer the provider.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import httpx
import structlog
from jwt import PyJWK, PyJWKError

from core import AuthUnavailable, Clock

log = structlog.get_logger("customer_graph.auth")

# The key type each signature family needs: an RSA key never verifies an EC or HMAC token.
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


class JwksCache:
    """Signing keys by ``kid``, refreshed on expiry and on an unknown kid."""

    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        *,
        algorithms: Collection[str],
        cache_seconds: float,
        min_refresh_seconds: float,
        clock: Clock,
    ) -> None:
        self._url = url
        self._http = http
        self._algorithms = frozenset(algorithms)
        self._cache_seconds = cache_seconds
        self._min_refresh_seconds = min_refresh_seconds
        self._clock = clock
        self._keys: dict[str | None, dict[str, Any]] | None = None
        self._fetched_at = 0.0
        self._attempted_at = float("-inf")
        self._generation = 0
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None, algorithm: str) -> PyJWK | None:
        """The key that verifies ``algorithm`` tokens with this ``kid``, or None.

        Raises ``AuthUnavailable`` when no key set could ever be fetched.
        """
        if self._keys is None or self._clock() - self._fetched_at >= self._cache_seconds:
            await self._refresh(self._generation)
        generation = self._generation
        found = self._find(kid, algorithm)
        if found is None:
            await self._refresh(generation)
            found = self._find(kid, algorithm)
        return found

    def _find(self, kid: str | None, algorithm: str) -> PyJWK | None:
        keys = self._keys or {}
        jwk = keys.get(kid)
        if jwk is None and kid is None and len(keys) == 1:
            # A token without kid is fine while the provider publishes a single key.
            (jwk,) = keys.values()
        if jwk is None or jwk.get("kty") != _KEY_TYPES.get(algorithm[:2]):
            return None
        if jwk.get("alg", algorithm) != algorithm:
            return None
        try:
            # Bound to the token's algorithm: PyJWT then refuses any other for this key.
            return PyJWK(jwk, algorithm)
        except PyJWKError:
            return None

    async def _refresh(self, seen_generation: int) -> None:
        async with self._lock:
            if self._generation != seen_generation:
                return  # another request refreshed while this one waited
            now = self._clock()
            if now - self._attempted_at < self._min_refresh_seconds:
                if self._keys is None:
                    raise AuthUnavailable("the identity provider's signing keys are unavailable")
                return
            self._attempted_at = now
            try:
                keys = await self._fetch()
            except AuthUnavailable:
                if self._keys is None:
                    raise
                # Keep verifying with the keys we have while the provider is unreachable.
                log.warning("jwks refresh failed; keeping cached keys", url=self._url)
                return
            self._keys = keys
            self._fetched_at = now
            self._generation += 1

    async def _fetch(self) -> dict[str | None, dict[str, Any]]:
        try:
            response = await self._http.get(self._url)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("jwks fetch failed", url=self._url, error=type(exc).__name__)
            raise AuthUnavailable("the identity provider's signing keys are unavailable") from None
        keys: dict[str | None, dict[str, Any]] = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue
            if jwk.get("kty") not in _KEY_TYPES.values():
                continue  # never accept a symmetric ("oct") key from a public key set
            if "alg" in jwk and jwk["alg"] not in self._algorithms:
                continue
            keys[jwk.get("kid")] = jwk
        return keys
