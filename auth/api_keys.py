"""Partner API keys: configured as SHA-256 hashes, looked up by the hash of what is sent."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping

from auth.config import ApiKeySettings
from auth.identity import Identity
from core import Unauthenticated

KEY_PREFIX = "cgk_"


def hash_api_key(key: str) -> str:
    """The hex SHA-256 that the configuration stores instead of ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_api_key() -> str:
    """A new random key (256 bits) for a partner."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeyRegistry:
    """The configured partner keys; turns a presented key into the partner's identity."""

    def __init__(self, keys: Mapping[str, ApiKeySettings]) -> None:
        # Looking up the hash of the presented key leaks nothing usable through timing:
        # an attacker controls the input, not its SHA-256. Keys are random and long, so a
        # plain (unsalted) hash is the right tool, as for any high-entropy token.
        self._by_hash = {key.sha256: (key_id, key) for key_id, key in keys.items()}

    def __bool__(self) -> bool:
        return bool(self._by_hash)

    def identify(self, presented: str) -> Identity:
        """The partner identity for ``presented``; ``Unauthenticated`` for an unknown key."""
        found = self._by_hash.get(hash_api_key(presented))
        if found is None:
            raise Unauthenticated("API key is not recognised")
        key_id, key = found
        return Identity.partner(
            key_id, key.scopes, client_class=key.client_class, rate_limit=key.rate_limit
        )
