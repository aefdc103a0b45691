from __future__ import annotations

from typing import Any

import orjson

from datasources.codecs.errors import CodecError


def decode_json(body: bytes) -> Any:
    """Parse a JSON body."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise CodecError(f"malformed JSON: {exc}") from None
