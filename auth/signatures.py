"""Signed webhooks: HMAC-SHA256 over ``{timestamp}.{body}``, fresh within a tolerance.

The timestamp is part of what is signed, so a captured notice cannot be replayed later
with a new timestamp; it is refused once it is older than the tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from core import Clock, Unauthenticated

_TIMESTAMP = re.compile(r"\d{1,12}")
_PREFIX = "sha256="


class WebhookSignature:
    """Checks (and, for senders and tests, makes) the signature of one source's notices."""

    def __init__(self, secret: str, *, tolerance: float, clock: Clock) -> None:
        self._key = secret.encode()
        self._tolerance = tolerance
        self._clock = clock

    def sign(self, body: bytes, timestamp: int) -> str:
        """The header value a sender puts on ``body`` sent at ``timestamp``."""
        return _PREFIX + self._digest(body, str(timestamp))

    def verify(self, body: bytes, signature: str | None, timestamp: str | None) -> None:
        """Raise ``Unauthenticated`` unless ``signature`` signs ``body`` at a recent
        ``timestamp`` (whole seconds since the epoch). The signature is hex, with or without
        a ``sha256=`` prefix."""
        if not signature or not timestamp:
            raise Unauthenticated("the notice is not signed: signature or timestamp missing")
        timestamp = timestamp.strip()
        if not _TIMESTAMP.fullmatch(timestamp):
            raise Unauthenticated("the timestamp must be whole seconds since the epoch")
        given = signature.strip()
        if given[: len(_PREFIX)].lower() == _PREFIX:
            given = given[len(_PREFIX) :]
        expected = self._digest(body, timestamp)
        if not hmac.compare_digest(given.lower().encode(), expected.encode()):
            raise Unauthenticated("the signature does not match")
        if abs(self._clock() - int(timestamp)) > self._tolerance:
            raise Unauthenticated("the timestamp is outside the accepted window (a replay?)")

    def _digest(self, body: bytes, timestamp: str) -> str:
        return hmac.new(self._key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
