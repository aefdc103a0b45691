"""The id schemes of the four APIs, and their inverses for parsing requests."""

from __future__ import annotations

import re

_CUSTOMER_ID = re.compile(r"[1-9][0-9]{0,8}")
_MEMBER_NUMBER = re.compile(r"M-([0-9]{6,9})")
_CUSTOMER_REF = re.compile(r"C([0-9]{7,9})")


def is_customer_id(value: str) -> bool:
    """True for a well-formed CRM/orders id: a decimal string without leading zeros."""
    return _CUSTOMER_ID.fullmatch(value) is not None


def member_number(customer_id: str) -> str:
    """Loyalty's key for a customer: customer 42 is member `M-000042`."""
    return f"M-{int(customer_id):06d}"


def customer_ref(customer_id: str) -> str:
    """Preferences' key for a customer: customer 42 is `C0000042`."""
    return f"C{int(customer_id):07d}"


def customer_id_of_member(number: str) -> str | None:
    """The customer id behind a member number, or None if the number is malformed."""
    match = _MEMBER_NUMBER.fullmatch(number)
    if match is None or int(match[1]) == 0 or member_number(match[1]) != number:
        return None
    return str(int(match[1]))


def customer_id_of_ref(ref: str) -> str | None:
    """The customer id behind a preferences reference, or None if the reference is malformed."""
    match = _CUSTOMER_REF.fullmatch(ref)
    if match is None or int(match[1]) == 0 or customer_ref(match[1]) != ref:
        return None
    return str(int(match[1]))
