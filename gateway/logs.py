"""Structured logging: JSON lines in production, readable lines at a terminal.

``merge_contextvars`` comes first, so every line logged while a request runs carries its
``request_id``, bound by the request observer, down to the upstream clients' lines.
"""

from __future__ import annotations

import logging
from typing import Literal

import structlog


def configure_logging(
    fmt: Literal["json", "console"] = "json",
    level: Literal["debug", "info", "warning", "error"] = "info",
) -> None:
    """Configure structlog and the standard library's root logger for the whole process."""
    threshold = logging.getLevelNamesMapping()[level.upper()]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=threshold, format="%(message)s")
    # httpx logs every upstream request at INFO; our metrics and error logs already cover them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
