"""Drive load from a separate process: wrk when installed, else an aiohttp driver.

Both are closed-loop: ``concurrency`` connections each send the next request as soon as the
previous answer arrived, cycling through the given request bodies. The driver's own CPU time
is reported with the result, so a run can show the driver was not the bottleneck.
Run the fallback directly with ``python -m bench.load URL BODIES.json -c 32 -d 10``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp
import orjson

from bench.servers import Server

_MARK = "BENCH-RESULT "


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured; latencies in milliseconds."""

    driver: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    driver_cpu_s: float
    server_cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / self.requests if self.requests else 0.0

    @property
    def driver_cpu_ms_per_request(self) -> float:
        return 1000 * self.driver_cpu_s / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            **asdict(self),
            "rps": round(self.rps, 1),
            "server_cpu_ms_per_request": round(self.server_cpu_ms_per_request, 3),
            "driver_cpu_ms_per_request": round(self.driver_cpu_ms_per_request, 3),
        }


def available_driver() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run_load(
    server: Server,
    bodies: Sequence[bytes],
    *,
    concurrency: int,
    seconds: float,
    driver: str,
    path: str = "/graphql",
) -> LoadResult:
    """POST ``bodies`` (cycled) to ``server`` for ``seconds``; CPU is the server's tree."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        if driver == "wrk":
            script = Path(tmp) / "load.lua"
            script.write_text(_wrk_script(path, bodies, server.headers), encoding="utf-8")
            threads = max(1, min(concurrency, os.cpu_count() or 1))
            command = [
                "wrk",
                f"-t{threads}",
                f"-c{concurrency}",
                # wrk takes whole seconds only.
                f"-d{math.ceil(seconds)}s",
                "--timeout",
                "60s",
                "-s",
                str(script),
                server.url + path,
            ]
        else:
            body_file = Path(tmp) / "bodies.json"
            body_file.write_bytes(orjson.dumps([b.decode() for b in bodies]))
            command = [
                sys.executable,
                "-m",
                "bench.load",
                server.url + path,
                str(body_file),
                "-c",
                str(concurrency),
                "-d",
                str(seconds),
                *(f"--header={name}:{value}" for name, value in server.headers.items()),
            ]
        # Only the driver is reaped during the run, so the children's usage delta is its own.
        driver_before = _children_cpu()
        server_before = server.cpu_seconds()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        server_cpu = server.cpu_seconds() - server_before
        driver_cpu = _children_cpu() - driver_before
    lines = [line for line in done.stdout.splitlines() if line.startswith(_MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"load driver failed ({done.returncode}): {done.stderr or done.stdout}")
    raw = json.loads(lines[-1][len(_MARK) :])
    return LoadResult(
        driver=driver,
        concurrency=concurrency,
        requests=raw["requests"],
        errors=raw["errors"],
        seconds=raw["seconds"],
        p50_ms=raw["p50_ms"],
        p90_ms=raw["p90_ms"],
        p99_ms=raw["p99_ms"],
        max_ms=raw["max_ms"],
        driver_cpu_s=driver_cpu,
        server_cpu_s=server_cpu,
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _lua_string(value: bytes) -> str:
    text = value.decode()
    level = "=" * 4
    if f"]{level}]" in text:
        raise ValueError("request body contains the Lua long-string terminator")
    return f"[{level}[{text}]{level}]"


def _wrk_script(path: str, bodies: Sequence[bytes], headers: Mapping[str, str]) -> str:
    listed = ",\n".join(_lua_string(b) for b in bodies)
    # Header names and values are ASCII, where a JSON string is also a Lua string.
    extra = "".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers.items())
    return f"""
local bodies = {{
{listed}
}}
local count = #bodies
local index = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{extra}
request = function()
  index = index % count + 1
  return wrk.format(nil, "{path}", nil, bodies[index])
end

done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    '{_MARK}{{"requests":%d,"errors":%d,"seconds":%.6f,'
    .. '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}}\\n',
    summary.requests, errors, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3))
end
"""


async def _drive(
    url: str, bodies: list[bytes], headers: dict[str, str], concurrency: int, seconds: float
) -> str:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    # No Accept-Encoding, like wrk: the servers answer uncompressed.
    skip = ("Accept-Encoding",)
    async with aiohttp.ClientSession(connector=connector, skip_auto_headers=skip) as session:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker(offset: int) -> None:
            nonlocal errors
            index = offset
            while time.perf_counter() < deadline:
                body = bodies[index % len(bodies)]
                index += 1
                sent = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        ok = response.status < 400
                except aiohttp.ClientError:
                    ok = False
                latencies.append(time.perf_counter() - sent)
                errors += not ok

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        if not latencies:
            return 0.0
        return 1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    result = {
        "requests": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "p50_ms": percentile(50),
        "p90_ms": percentile(90),
        "p99_ms": percentile(99),
        "max_ms": 1000 * latencies[-1] if latencies else 0.0,
    }
    return _MARK + json.dumps(result)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("bodies", type=Path, help="JSON list of request bodies (strings)")
    parser.add_argument("-c", "--concurrency", type=int, default=32)
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--header", action="append", default=[], help="name:value, repeatable")
    args = parser.parse_args(argv)
    bodies = [b.encode() for b in orjson.loads(args.bodies.read_bytes())]
    headers = {"content-type": "application/json"}
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name] = value
    print(asyncio.run(_drive(args.url, bodies, headers, args.concurrency, args.duration)))


if __name__ == "__main__":
    main()
