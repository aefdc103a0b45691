"""Turn upstream bodies into plain Python values (dicts, lists, strings).

Each codec raises ``CodecError`` with a short reason on anything it cannot parse; the
client maps that to ``UpstreamDataInvalid`` for the source.
"""

from __future__ import annotations

from typing import Any

from datasources.codecs.csv import decode_csv
from datasources.codecs.errors import CodecError
from datasources.codecs.json import decode_json
from datasources.codecs.media import accepts_media_type, media_types
from datasources.codecs.xml import decode_xml, encode_xml_ids
from datasources.config import SourceConfig

__all__ = ["CodecError", "accepts_media_type", "decode", "encode_xml_ids", "media_types"]


def decode(config: SourceConfig, body: bytes) -> Any:
    """Decode a response body in the source's declared format."""
    if config.format in ("json", "graphql"):
        return decode_json(body)
    if config.format == "xml":
        return decode_xml(body, config.xml)
    return decode_csv(body, config.csv)
