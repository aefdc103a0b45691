"""Reading an upstream's answer: decompressed, and refused past the source's size limit."""

from __future__ import annotations

import zlib

import httpx

from datasources.codecs import CodecError


async def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The body, decompressed, refused once it exceeds the source's size limit.

    The limit applies to the decompressed size, so a small compressed body cannot
    unfold into an unbounded one. A body that cannot be used raises ``CodecError``.
    """
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise CodecError(f"response of {declared} bytes exceeds the {cap} byte limit")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise CodecError(f"unsupported content encoding {encoding!r}")
    gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        if gunzip is not None:
            try:
                # At most one byte past the limit: enough to know it was exceeded. Input
                # left over (unconsumed_tail) only exists once that byte is reached.
                chunk = gunzip.decompress(chunk, cap + 1 - size)
            except zlib.error as exc:
                raise CodecError(f"undecodable gzip body: {exc}") from None
        size += len(chunk)
        if size > cap:
            raise CodecError(f"response exceeds the {cap} byte limit")
        chunks.append(chunk)
    if gunzip is not None and not gunzip.eof:
        raise CodecError("truncated gzip body")
    return b"".join(chunks)
