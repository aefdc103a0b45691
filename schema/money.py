"""Minor units to decimal amounts, by ISO 4217 currency exponent."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

# Currencies whose minor unit is not a hundredth; every other code has two decimals.
_EXPONENTS: Final = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def to_amount(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))
