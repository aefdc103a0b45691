"""Translate between our customer ids and a source's own keys (e.g. ``M-{id:06d}``)."""

from __future__ import annotations

import re
import string

# Longer ids cannot exist anywhere: 20 digits hold any unsigned 64-bit number, and a bound
# keeps ``int()`` away from Python's int-string limit and upstream URLs short.
MAX_DIGITS = 20
MAX_ID_LENGTH = 256
# ASCII only: ``str.isdigit`` accepts "²" and "٣", which ``int`` refuses or reads differently.
_NUMBER = re.compile(f"[0-9]{{1,{MAX_DIGITS}}}")


class KeyTemplate:
    """A reversible template with one ``{id}`` placeholder."""

    def __init__(self, template: str) -> None:
        before, after, spec, seen = "", "", "", False
        for literal, field, field_spec, _ in string.Formatter().parse(template):
            if seen:
                after += literal
            else:
                before += literal
            if field is not None:
                seen, spec = True, field_spec or ""
        self._template = template
        self._identity = template == "{id}"
        self._numeric = spec.endswith("d")
        self._bare_number = self._numeric and not before and not after
        group = f"([0-9]{{1,{MAX_DIGITS}}})" if self._numeric else f"(.{{1,{MAX_ID_LENGTH}}})"
        self._pattern = re.compile(re.escape(before) + group + re.escape(after))

    def to_source(self, customer_id: str) -> str | None:
        """The source key for a customer id; None when the id cannot exist in this source."""
        if self._numeric:
            if _NUMBER.fullmatch(customer_id) is None:
                return None
            return self._template.format(id=int(customer_id))
        if not 0 < len(customer_id) <= MAX_ID_LENGTH:
            return None
        return customer_id if self._identity else self._template.format(id=customer_id)

    def to_customer(self, source_key: str) -> str | None:
        """Our customer id for a source key; None when the key does not fit the template."""
        if self._identity:
            return source_key if 0 < len(source_key) <= MAX_ID_LENGTH else None
        if self._bare_number:
            # What the pattern accepts, without a regex match per record.
            fits = 0 < len(source_key) <= MAX_DIGITS and source_key.isascii()
            return str(int(source_key)) if fits and source_key.isdigit() else None
        match = self._pattern.fullmatch(source_key)
        if match is None:
            return None
        value = match.group(1)
        return str(int(value)) if self._numeric else value
