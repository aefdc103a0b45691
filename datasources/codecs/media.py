"""Which response content types a source's format accepts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from datasources.config import SourceConfig

# What vendors actually send for each format; a source can replace these in its config.
DEFAULT_MEDIA_TYPES: Final = {
    "json": ("application/json", "application/*+json", "text/json"),
    "xml": ("application/xml", "application/*+xml", "text/xml"),
    "csv": ("text/csv", "application/csv", "text/plain"),
    # GraphQL over HTTP: the spec's media type first, then what servers sent before it.
    "graphql": ("application/graphql-response+json", "application/json", "application/*+json"),
}


def media_types(config: SourceConfig) -> tuple[str, ...]:
    """The media types a source's responses may have, most preferred first."""
    return config.content_types or DEFAULT_MEDIA_TYPES[config.format]


def accepts_media_type(accepted: Sequence[str], content_type: str | None) -> bool:
    """Whether a response's Content-Type is one of ``accepted``.

    A response without the header is given the benefit of the doubt: its body is still
    parsed in the declared format, which fails loudly if it is something else.
    """
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    for pattern in accepted:
        if pattern in ("*/*", media):
            return True
        p_kind, _, p_subtype = pattern.partition("/")
        if p_kind != kind:
            continue
        if p_subtype == "*":
            return True
        # application/*+json matches application/vnd.vendor.v2+json.
        if p_subtype.startswith("*+") and subtype.endswith(p_subtype[1:]):
            return True
    return False
