"""What an identity may read and change: plain functions every executor calls.

The Strawberry permission classes and any other executor (a compiled fast path, a batch
export) must decide through these functions, so one rule holds everywhere.
"""

from __future__ import annotations

from typing import Final

from auth.identity import Identity

READ: Final = "customers:read"
WRITE: Final = "customers:write"
PII: Final = "pii:read"
ALL_SCOPES: Final = (READ, WRITE, PII)

# GraphQL field names of Customer that are personal data beyond the profile itself.
PII_FIELDS: Final = frozenset({"email", "phone", "birthDate"})


def is_self(identity: Identity, customer_id: str) -> bool:
    """The caller is the consumer whose customer id this is."""
    return identity.kind == "consumer" and identity.subject == customer_id


def can_read_customer(identity: Identity, customer_id: str) -> bool:
    """A consumer reads only itself; everyone else needs ``customers:read``."""
    if identity.kind == "consumer":
        return is_self(identity, customer_id)
    return READ in identity.scopes


def can_list_customers(identity: Identity) -> bool:
    """Listing every customer is for staff, partners and developers with ``customers:read``."""
    return identity.kind != "consumer" and READ in identity.scopes


def can_read_field(identity: Identity, customer_id: str, field: str) -> bool:
    """``field`` (a GraphQL field name of Customer) of that customer is visible to the caller.

    PII fields need ``pii:read`` on top of ``customers:read``, or self-access.
    """
    if is_self(identity, customer_id):
        return True
    if not can_read_customer(identity, customer_id):
        return False
    return field not in PII_FIELDS or PII in identity.scopes


def can_write_customer(identity: Identity, customer_id: str) -> bool:
    """Changes need self-access or ``customers:write``."""
    if identity.kind == "consumer":
        return is_self(identity, customer_id)
    return WRITE in identity.scopes


# What of an identity an answer can depend on: the rules above, and the client class that
# picks the query limits (auth/query_limits.py).
AnswerPartition = tuple[str, str, tuple[str, ...], str | None]


def answer_partition(identity: Identity) -> AnswerPartition:
    """Callers with equal partitions get the same answer to the same operation, so one's
    answer may be served to the other; a new rule that reads more of the identity must
    add it here.

    A consumer reads only itself: its partition is its own (private data). Everyone else
    is decided by kind, client class and scopes (shared data).
    """
    private = identity.subject if identity.kind == "consumer" else None
    return (identity.kind, identity.client_class, tuple(sorted(identity.scopes)), private)
