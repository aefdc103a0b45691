"""Extra upstreams and config files written by tests: what a deployment would add itself."""

from __future__ import annotations

import re
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.settings import DEFAULT_CONFIG, Settings, load_settings

_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*(#.*)?$")


def shipped_config(*, without: Iterable[str] = ()) -> str:
    """The shipped sandbox config's text, minus the tables of the sources named."""
    dropped = set(without)
    kept: list[str] = []
    skipping = False
    for line in DEFAULT_CONFIG.read_text(encoding="utf-8").splitlines():
        table = _TABLE.match(line)
        if table is not None:
            parts = table.group(1).split(".")
            skipping = parts[0] == "sources" and len(parts) > 1 and parts[1] in dropped
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def write_settings(directory: Path, text: str, **env: str) -> Settings:
    """Write ``text`` as the gateway's config file and load it with ``env`` as environment."""
    path = directory / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env)


@dataclass(frozen=True)
class Seen:
    """One request an upstream received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        from urllib.parse import parse_qs

        values = parse_qs(self.query).get(name)
        return values[0] if values else None


Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Upstream:
    """A Starlette app recording every request it serves; routes are added by the test."""

    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self, routes: dict[str, tuple[str, Handler]]) -> Starlette:
        def recorded(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                body = await request.body()
                with self._lock:
                    self.seen.append(
                        Seen(
                            request.method,
                            request.url.path,
                            request.url.query,
                            dict(request.headers),
                            body,
                        )
                    )
                return await handler(request)

            return endpoint

        return Starlette(
            routes=[
                Route(path, recorded(handler), methods=[method])
                for path, (method, handler) in routes.items()
            ]
        )

    def calls(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]

    def reset(self) -> None:
        with self._lock:
            self.seen.clear()
