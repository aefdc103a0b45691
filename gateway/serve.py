"""Serving the gateway with uvicorn, with a shutdown that loses no request."""

from __future__ import annotations

from types import FrameType
from typing import Any

import structlog
import uvicorn
from starlette.applications import Starlette

from core import SystemTimer, Timer
from gateway.settings import ServerSettings

log = structlog.get_logger("customer_graph.gateway")


class GatewayServer(uvicorn.Server):
    """uvicorn, with readiness turning false before the listener closes.

    On the first SIGTERM or SIGINT, /readyz answers 503 while requests are still served
    for ``shutdown_delay`` seconds, long enough for load balancers to stop sending. Then
    uvicorn stops accepting, gives in-flight requests ``shutdown_grace`` seconds, and the
    lifespan closes the upstream clients. Another signal shortens the wait.
    """

    def __init__(
        self,
        app: Starlette,
        server: ServerSettings,
        timer: Timer | None = None,
        **uvicorn_options: Any,
    ) -> None:
        options: dict[str, Any] = {"log_config": None, "access_log": False, **uvicorn_options}
        super().__init__(
            uvicorn.Config(
                app,
                host=server.host,
                port=server.port,
                timeout_graceful_shutdown=server.shutdown_grace,
                **options,
            )
        )
        self._app = app
        self._delay = server.shutdown_delay
        self._timer = timer or SystemTimer()
        self._stop_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._stop_at is None and not self.should_exit:
            self._app.state.gateway.ready = False
            self._stop_at = self._timer.now() + self._delay
            log.info("shutting down: not ready, still serving", delay=self._delay)
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self._stop_at is not None and self._timer.now() >= self._stop_at:
            self.should_exit = True
        return await super().on_tick(counter)
