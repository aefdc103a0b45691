"""How the gateway says no to a customer-level request: one wording for reads, writes and
subscriptions, so a consumer and a scoped caller each hear what would let them in."""

from __future__ import annotations

from auth import READ, Identity
from core import Forbidden


def refusal(identity: Identity, customer_id: str, verb: str, scope: str) -> Forbidden:
    """``Forbidden`` for ``identity`` trying to ``verb`` customer ``customer_id``, which
    needs ``scope`` (or being that customer)."""
    consumer = identity.kind == "consumer"
    reason = f"you may {verb} only yourself" if consumer else f"it needs {scope}"
    message = f"not allowed to {verb} customer {customer_id}: {reason}"
    return Forbidden(message, customer_id=customer_id)


def read_refusal(identity: Identity, customer_id: str) -> Forbidden:
    """The refusal to read customer ``customer_id``."""
    return refusal(identity, customer_id, "read", READ)
