from __future__ import annotations


class CodecError(ValueError):
    """A body could not be parsed in the format its source declares."""
