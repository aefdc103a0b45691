"""Response compression: brotli where the client accepts it, gzip otherwise, above a size."""

from __future__ import annotations

from brotli_asgi import BrotliMiddleware
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware

from gateway.settings import CompressionSettings


def compression_middleware(settings: CompressionSettings) -> list[Middleware]:
    """Outermost first: gzip passes through what brotli already encoded."""
    if not settings.enabled:
        return []
    layers = [
        Middleware(
            GZipMiddleware,
            minimum_size=settings.minimum_size,
            compresslevel=settings.gzip_level,
        )
    ]
    if settings.brotli:
        layers.append(
            Middleware(
                BrotliMiddleware,
                quality=settings.brotli_quality,
                minimum_size=settings.minimum_size,
                # Our gzip layer handles the fallback, with its own level.
                gzip_fallback=False,
            )
        )
    return layers
