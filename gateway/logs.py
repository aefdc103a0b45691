"""Structured logging: JSON lines in production, readable lines at a terminal."""

from __future__ import annotations

import logging
from typing import Literal

import structlog


def configure_logging(fmt: Literal["json", "console"] = "json", level: int = logging.INFO) -> None:
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
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level, format="%(message)s")
    # httpx logs every upstream request at INFO; our metrics and error logs already cover them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
