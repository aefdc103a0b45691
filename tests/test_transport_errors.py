"""An upstream failure is reported by its cause, whichever transport the client uses: a
refused connection, a failed DNS lookup or a TLS handshake is ``UPSTREAM_UNAVAILABLE``, and only
an upstream that accepts and does not answer in time is ``UPSTREAM_TIMEOUT``."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import Gateway, Sandbox, StartGateway, uncached_settings
from tests.js_support import free_port

TRANSPORTS = ["aiohttp", "httpx"]
QUERY = '{ customer(id: "2") { email loyalty { tier } } }'


class SilentUpstream:
    """A TCP server that accepts every connection, reads the request and never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/loyalty"
        self.connections = 0
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)

    def close(self) -> None:
        self._listener.close()
        for conn in self._open:
            conn.close()


@contextmanager
def silent_upstream() -> Iterator[SilentUpstream]:
    upstream = SilentUpstream()
    upstream._thread.start()
    try:
        yield upstream
    finally:
        upstream.close()


def loyalty_error(sandbox: Sandbox, start_gateway: StartGateway, **env: str) -> dict[str, Any]:
    settings = uncached_settings(sandbox.url, CG_SOURCES__LOYALTY__RETRIES__ATTEMPTS="2", **env)
    with start_gateway(settings) as url:
        body = Gateway(url).query(QUERY)
    assert body["data"]["customer"]["email"] == sandbox.data.customer("2").email  # type: ignore[union-attr]
    assert body["data"]["customer"]["loyalty"] is None
    (error,) = body["errors"]
    assert error["path"] == ["customer", "loyalty"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param(lambda sandbox: f"http://127.0.0.1:{free_port()}/loyalty", id="refused"),
        pytest.param(lambda sandbox: "http://loyalty.invalid/loyalty", id="dns"),
        # The sandbox speaks plain HTTP: the TLS handshake fails.
        pytest.param(lambda sandbox: sandbox.url.replace("http:", "https:") + "/loyalty", id="tls"),
    ],
)
def test_an_unreachable_upstream_is_unavailable_not_a_timeout(
    sandbox: Sandbox, start_gateway: StartGateway, transport: str, base_url: Any
) -> None:
    extensions = loyalty_error(
        sandbox,
        start_gateway,
        CG_SERVER__HTTP_TRANSPORT=transport,
        CG_SOURCES__LOYALTY__BASE_URL=base_url(sandbox),
    )
    assert extensions == {"code": "UPSTREAM_UNAVAILABLE", "source": "loyalty"}
    assert sandbox.calls()["loyalty"] == 0
    assert sandbox.calls()["crm"] == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_upstream_that_accepts_and_never_answers_is_a_timeout(
    sandbox: Sandbox, start_gateway: StartGateway, transport: str
) -> None:
    with silent_upstream() as upstream:
        extensions = loyalty_error(
            sandbox,
            start_gateway,
            CG_SERVER__HTTP_TRANSPORT=transport,
            CG_SOURCES__LOYALTY__BASE_URL=upstream.url,
            CG_SOURCES__LOYALTY__TIMEOUTS__READ="0.2",
        )
        assert extensions == {"code": "UPSTREAM_TIMEOUT", "source": "loyalty"}
        # Both attempts reached it, each on its own connection.
        assert upstream.connections == 2
