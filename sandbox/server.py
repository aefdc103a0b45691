"""Serving any ASGI app with uvicorn in a background thread, for tests, demos and benchmarks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp


@contextmanager
def run_in_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    startup_timeout: float = 10.0,
    shutdown_timeout: float = 2.0,
    **uvicorn_options: Any,
) -> Iterator[str]:
    """Serve `app` until the block ends, yielding its base URL, e.g. `http://127.0.0.1:54321`.

    Port 0 picks a free port. Requests still running `shutdown_timeout` seconds after the block
    ends are cancelled, so a hanging request cannot stall the caller.
    """
    options: dict[str, Any] = {
        "log_level": "warning",
        # None leaves the process's logging configuration alone (pytest and the gateway own it).
        "log_config": None,
        "timeout_graceful_shutdown": shutdown_timeout,
        **uvicorn_options,
    }
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **options))
    # Server.run skips signal handlers off the main thread; a daemon thread never blocks exit.
    thread = threading.Thread(target=server.run, name=f"uvicorn-{host}:{port}", daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread, startup_timeout)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        netloc = f"[{host}]" if ":" in host else host
        yield f"http://{netloc}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(shutdown_timeout + 5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(5)


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped during startup (is the port in use?)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start within {timeout} s")
        time.sleep(0.01)
