"""Response compression: brotli where the client accepts it, gzip otherwise, above a size."""

from __future__ import annotations

from brotli_asgi import BrotliMiddleware
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.graphql_http import prefers_stream
from gateway.settings import CompressionSettings


def compression_middleware(settings: CompressionSettings) -> list[Middleware]:
    """The compression layer, if compression is on."""
    return [Middleware(Compression, settings=settings)] if settings.enabled else []


class Compression:
    """Hands each request to the one encoder its ``Accept-Encoding`` asks for, or to none.

    Either encoder wraps every response it sees, compressed or not, so a request that accepts
    neither skips both, and one that accepts brotli never passes through gzip's layer.
    Requests for a stream skip both.
    """

    def __init__(self, app: ASGIApp, settings: CompressionSettings) -> None:
        self.app = app
        self._gzip = GZipMiddleware(
            app, minimum_size=settings.minimum_size, compresslevel=settings.gzip_level
        )
        self._brotli = (
            BrotliMiddleware(
                app,
                quality=settings.brotli_quality,
                minimum_size=settings.minimum_size,
                # The gzip layer handles the fallback, with its own level.
                gzip_fallback=False,
            )
            if settings.brotli
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A stream (SSE, multipart subscriptions) is sent event by event, never held back
        # for an encoder's buffer.
        if scope["type"] == "http" and not _streams(scope["headers"]):
            accepted = _accept_encoding(scope["headers"])
            # The same tests the two encoders make themselves.
            if self._brotli is not None and "br" in accepted:
                await self._brotli(scope, receive, send)
                return
            if "gzip" in accepted:
                await self._gzip(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _streams(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"accept":
            return prefers_stream(value.decode("latin-1"))
    return False


def _accept_encoding(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"accept-encoding":
            return value.decode("latin-1")
    return ""
