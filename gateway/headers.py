"""Security headers: on every response, and a Content-Security-Policy for GraphiQL."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_ASSET_ORIGIN = re.compile(r'(?:src|href)="(https://[^/"]+)/')

_EVERY_RESPONSE = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


def graphiql_headers(html: str) -> dict[str, str]:
    """Headers for the GraphiQL page ``html``: a CSP that allows exactly what it loads.

    Its inline script is allowed by hash and its CDN assets by origin (they also carry
    subresource integrity). 'unsafe-eval' is there because the GraphiQL bundle builds
    functions from strings; it is allowed on this page only, never on API responses.
    """
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    origins = " ".join(sorted(set(_ASSET_ORIGIN.findall(html))))
    policy = [
        "default-src 'none'",
        f"script-src {origins} {hashes} 'unsafe-eval'",
        f"style-src {origins} 'unsafe-inline'",
        f"font-src {origins} data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
    return {
        "Content-Security-Policy": "; ".join(policy),
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


class SecurityHeaders:
    """Adds ``nosniff`` and ``no-referrer`` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # ASGI header names are lower-case bytes; a response's own value is kept.
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _EVERY_RESPONSE if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
