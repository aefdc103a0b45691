"""``customer-graph serve``: the gateway under uvicorn, one process or several, with a
shutdown that loses no request."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import structlog
import uvicorn
from starlette.applications import Starlette

from core import SystemTimer, Timer
from gateway.app import create_app
from gateway.logs import configure_logging
from gateway.settings import DEFAULT_CONFIG, ServerSettings, load_or_report, load_settings

_WORKER_CONFIG_ENV = "CUSTOMER_GRAPH_WORKER_CONFIG"
_WORKER_LOG_FORMAT_ENV = "CUSTOMER_GRAPH_WORKER_LOG_FORMAT"
# The config file of `serve` when --config is not given (the images and manifests set it).
CONFIG_ENV = "CG_CONFIG"

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


def serve_config(option: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The config file ``serve`` runs with: ``--config``, else ``$CG_CONFIG``; None if neither.

    There is no default: a gateway started without one would serve the bundled sandbox
    configuration against whatever answers on 127.0.0.1:8100.
    """
    if option is not None:
        return option
    named = environ.get(CONFIG_ENV, "").strip()
    return Path(named) if named else None


def run_serve(args: argparse.Namespace) -> int:
    config = serve_config(args.config, os.environ)
    if config is None:
        print(
            f"no configuration: pass --config FILE or set {CONFIG_ENV} "
            f"(the sandbox's is {DEFAULT_CONFIG}; `customer-graph demo` runs it)",
            file=sys.stderr,
        )
        return 2
    settings = load_or_report(config)
    if settings is None:
        return 1
    configure_logging(args.log_format or settings.logging.format, settings.logging.level)
    log.info("configuration loaded", config=str(config.resolve()), sources=list(settings.sources))
    server = settings.server.model_copy(
        update={k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    )
    settings = settings.model_copy(update={"server": server})
    if args.workers > 1:
        # Worker processes import the app by name, so each loads the same file (and CG_* env).
        # uvicorn's supervisor runs them: in-flight requests get shutdown_grace, but readiness
        # does not turn false ahead of the stop as GatewayServer does for a single process.
        os.environ[_WORKER_CONFIG_ENV] = str(config.resolve())
        if args.log_format:
            os.environ[_WORKER_LOG_FORMAT_ENV] = args.log_format
        uvicorn.run(
            f"{__name__}:worker_app",
            factory=True,
            workers=args.workers,
            host=server.host,
            port=server.port,
            timeout_graceful_shutdown=server.shutdown_grace,
            log_config=None,
            access_log=False,
            loop="uvloop",
            http="httptools",
        )
        return 0
    app = create_app(settings)
    _freeze_start_up()
    # uvloop and httptools: docs/performance.md, 6-13% less CPU per small query.
    GatewayServer(app, server, loop="uvloop", http="httptools").run()
    return 0


def worker_app() -> Starlette:
    """The app of one ``serve --workers N`` process, from the config its parent validated."""
    settings = load_settings(Path(os.environ[_WORKER_CONFIG_ENV]))
    fmt = settings.logging.format
    match os.environ.get(_WORKER_LOG_FORMAT_ENV):
        case "console":
            fmt = "console"
        case "json":
            fmt = "json"
    configure_logging(fmt, settings.logging.level)
    app = create_app(settings)
    _freeze_start_up()
    return app


def _freeze_start_up() -> None:
    # What exists before serving lives as long as the process: keep it out of every
    # collection (docs/performance.md: 11-16% less CPU per request).
    gc.collect()
    gc.freeze()
