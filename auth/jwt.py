"""Bearer token verification: signature, algorithm, issuer, audience and validity window.

Only configured algorithms are accepted, and each family has its own key source: HS256
verifies with the shared secret only, RS/PS/ES with a key from the JWKS only, so a token
cannot pick the key that checks it (no ``none``, no HS/RS confusion). Time is read from an
injected clock so tests can move it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

from auth.config import SYMMETRIC_ALGORITHMS, JwtSettings
from auth.jwks import JwksCache
from core import Clock, Unauthenticated

_FAILURES: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.InvalidSignatureError, "token signature is invalid"),
    (jwt.InvalidIssuerError, "token issuer is not accepted"),
    (jwt.InvalidAudienceError, "token audience is not accepted"),
    (jwt.InvalidAlgorithmError, "token algorithm does not match its signing key"),
    (jwt.InvalidKeyError, "token signing key is unusable"),
    (jwt.DecodeError, "token is malformed"),
)


class TokenVerifier:
    """Checks a bearer token and returns its claims, or raises ``Unauthenticated``."""

    def __init__(
        self,
        settings: JwtSettings,
        *,
        jwks: JwksCache | None,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._jwks = jwks
        self._clock = clock
        self._algorithms = frozenset(settings.algorithms)
        secret = settings.hs256_secret
        self._secret = secret.get_secret_value().encode() if secret is not None else None

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once every check has passed."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("token is malformed") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            shown = algorithm if isinstance(algorithm, str) and algorithm.isalnum() else "?"
            raise Unauthenticated(
                f"token algorithm '{shown[:10]}' is not accepted "
                f"(accepted: {', '.join(self._settings.algorithms)})"
            )
        key = await self._key(header, algorithm)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=list(self._settings.audience) or None,
                issuer=self._settings.issuer,
                options={
                    # exp, nbf and iat are checked below against the injected clock.
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": bool(self._settings.audience),
                    "require": ["exp"],
                },
            )
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"token has no '{exc.claim}' claim") from None
        except jwt.PyJWTError as exc:
            raise Unauthenticated(_message(exc)) from None
        self._check_window(claims)
        return claims

    async def _key(self, header: Mapping[str, Any], algorithm: str) -> Any:
        if algorithm in SYMMETRIC_ALGORITHMS:
            return self._secret
        assert self._jwks is not None  # settings validation ties asymmetric algorithms to a JWKS
        kid = header.get("kid")
        key = await self._jwks.key(kid if isinstance(kid, str) else None, algorithm)
        if key is None:
            raise Unauthenticated("token signing key is unknown")
        return key

    def _check_window(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        leeway = self._settings.leeway_seconds
        exp: float = claims["exp"]
        nbf: float | None = claims.get("nbf")
        iat: float | None = claims.get("iat")
        if not _is_time(exp) or any(v is not None and not _is_time(v) for v in (nbf, iat)):
            raise Unauthenticated("token has an invalid 'exp', 'nbf' or 'iat' claim")
        if now > exp + leeway:
            raise Unauthenticated("token has expired")
        if nbf is not None and now + leeway < nbf:
            raise Unauthenticated("token is not yet valid")
        # A token issued in the future was minted by a clock (or a forger) we cannot trust.
        if iat is not None and now + leeway < iat:
            raise Unauthenticated("token is issued in the future")


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _message(exc: jwt.PyJWTError) -> str:
    for kind, message in _FAILURES:
        if isinstance(exc, kind):
            return message
    return "token is invalid"
