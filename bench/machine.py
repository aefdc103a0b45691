"""Where and with what a run happened: machine, load, versions, date, command."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import hive, tailcall

_LIBRARIES = (
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "httpx",
    "httpx-aiohttp",
    "aiohttp",
    "orjson",
    "uvloop",
    "httptools",
)


def describe(command: list[str]) -> dict[str, Any]:
    """Facts to print above the results, so numbers are read with their context."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(command),
        "commit": _output(["git", "rev-parse", "--short", "HEAD"]),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "libraries": {name: _version(name) for name in _LIBRARIES},
        "node": _output(["node", "--version"]),
        "hive": hive.versions(),
        "tailcall": tailcall.version(),
        "wrk": _output(["wrk", "--version"]).split(" [")[0] if shutil.which("wrk") else None,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return ""
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else ""
    )
