"""Who is calling: the one value every authorization decision reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

IdentityKind = Literal["consumer", "staff", "partner", "anonymous"]


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated caller (or the anonymous developer in development mode).

    ``subject`` is the customer id for consumers, the token subject for staff, the key id for
    partners and the client address for anonymous callers. ``client_class`` picks the query
    limits; ``rate_limit_key`` is the bucket the caller's requests are counted in, and
    ``rate_limit`` overrides the class's rate (partner keys carry their own).
    """

    kind: IdentityKind
    subject: str
    scopes: frozenset[str]
    client_class: str
    rate_limit_key: str
    rate_limit: str | None = None

    @classmethod
    def consumer(cls, customer_id: str, scopes: Iterable[str] = ()) -> Identity:
        return cls(
            "consumer", customer_id, frozenset(scopes), "consumer", f"consumer:{customer_id}"
        )

    @classmethod
    def staff(cls, subject: str, scopes: Iterable[str]) -> Identity:
        return cls("staff", subject, frozenset(scopes), "staff", f"staff:{subject}")

    @classmethod
    def partner(
        cls,
        key_id: str,
        scopes: Iterable[str],
        *,
        client_class: str = "partner",
        rate_limit: str | None = None,
    ) -> Identity:
        return cls(
            "partner", key_id, frozenset(scopes), client_class, f"partner:{key_id}", rate_limit
        )

    @classmethod
    def anonymous(cls, client_address: str, scopes: Iterable[str]) -> Identity:
        return cls(
            "anonymous", client_address, frozenset(scopes), "anonymous", f"ip:{client_address}"
        )

    @property
    def customer_id(self) -> str | None:
        """The customer this caller is, for consumers; None for everyone else."""
        return self.subject if self.kind == "consumer" else None
