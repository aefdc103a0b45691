"""Graceful shutdown: readiness false first, in-flight requests finish, clients closed."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from gateway.app import create_app
from gateway.serve import GatewayServer
from tests.conftest import FakeTimer, Sandbox, uncached_settings


def wait_for(condition: Callable[[], bool]) -> None:
    """Poll until ``condition`` holds (bounded, so a failure cannot hang the suite)."""
    give_up = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < give_up, "condition never held"
        time.sleep(0.01)


def test_shutdown_turns_unready_first_then_lets_in_flight_requests_finish(
    sandbox: Sandbox,
) -> None:
    timer = FakeTimer()
    settings = uncached_settings(sandbox.url)
    app = create_app(settings)
    server_settings = settings.server.model_copy(update={"port": 0, "shutdown_delay": 5})
    server = GatewayServer(app, server_settings, timer, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    assert httpx.get(f"{url}/readyz").status_code == 200

    sandbox.set_faults(crm={"latency_ms": 700})
    query = {"query": '{ customer(id: "6") { email } }'}
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(httpx.post, f"{url}/graphql", json=query, timeout=10)
        wait_for(lambda: sandbox.calls()["crm"] == 1)

        server.handle_exit(signal.SIGTERM, None)
        # Not ready, yet still serving while load balancers catch up.
        ready = httpx.get(f"{url}/readyz")
        assert (ready.status_code, ready.json()["ready"]) == (503, False)
        assert not server.should_exit

        timer.advance(5)
        wait_for(lambda: server.should_exit)
        # uvicorn now closes the listener and waits up to shutdown_grace for this one.
        assert not in_flight.done()
        response = in_flight.result()

    assert response.status_code == 200
    assert response.json() == {
        "data": {"customer": {"email": sandbox.data.customer("6").email}}  # type: ignore[union-attr]
    }
    thread.join(10)
    assert not thread.is_alive()
    assert app.state.gateway.started.sources.closed
