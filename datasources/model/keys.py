"""Translate between our customer ids and a source's own keys (e.g. ``M-{id:06d}``)."""

from __future__ import annotations

import re
import string


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
        group = r"(\d+)" if self._numeric else r"(.+)"
        self._pattern = re.compile(re.escape(before) + group + re.escape(after))

    def to_source(self, customer_id: str) -> str | None:
        """The source key for a customer id; None when the id cannot exist in this source."""
        if self._identity:
            return customer_id
        if self._numeric:
            if not customer_id.isdigit():
                return None
            return self._template.format(id=int(customer_id))
        return self._template.format(id=customer_id)

    def to_customer(self, source_key: str) -> str | None:
        """Our customer id for a source key; None when the key does not fit the template."""
        if self._identity:
            return source_key
        if self._bare_number:
            # What the pattern's (\d+) accepts, without a regex match per record.
            return str(int(source_key)) if source_key.isdecimal() else None
        match = self._pattern.fullmatch(source_key)
        if match is None:
            return None
        value = match.group(1)
        return str(int(value)) if self._numeric else value
