"""Structured logging: JSON lines in production, readable lines at a terminal.

``merge_contextvars`` comes first, so every line logged while a request runs carries its
``request_id``, bound by the request observer, down to the upstream clients' lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

import orjson
import structlog


def configure_logging(
    fmt: Literal["json", "console"] = "json",
    level: Literal["debug", "info", "warning", "error"] = "info",
) -> None:
    """Configure structlog and the standard library's root logger for the whole process."""
    threshold = logging.getLevelNamesMapping()[level.upper()]
    renderer: structlog.types.Processor
    factory: Callable[..., Any]
    if fmt == "json":
        # orjson renders a line in about half the time of the standard library; it gives
        # bytes, written as they are.
        renderer = structlog.processors.JSONRenderer(serializer=orjson.dumps)
        factory = structlog.BytesLoggerFactory()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        factory = structlog.PrintLoggerFactory()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=threshold, format="%(message)s")
    # httpx logs every upstream request at INFO; our metrics and error logs already cover them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
