"""Start, watch and stop the processes under test: each server is its own process group."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running server process (and the workers it forked): its URL, CPU time and memory."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    # Sent with every request to it: the gateway's API key.
    headers: dict[str, str] = field(default_factory=dict)

    def pids(self) -> list[int]:
        """The process and all its descendants (uvicorn and Hive fork workers)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                # The command name is in parentheses and may contain spaces; ppid follows it.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, ()))
        return found

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the live process tree, in seconds."""
        ticks = 0
        for pid in self.pids():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        return ticks / _CLOCK_TICKS

    def memory_kib(self) -> tuple[int, int]:
        """(current RSS, peak RSS) summed over the process tree, in KiB."""
        rss = peak = 0
        for pid in self.pids():
            with contextlib.suppress(OSError, ValueError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        peak += int(line.split()[1])
        return rss, peak

    def stop(self) -> None:
        if self.process.poll() is None:
            # The group holds the workers too; it was created for this server alone.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


@dataclass(frozen=True)
class Missing:
    """A server that cannot run in this benchmark run, and why (its rows say so)."""

    reason: str


@contextlib.contextmanager
def start_server(
    name: str,
    command: Sequence[str],
    port: int,
    health_path: str,
    log_dir: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60.0,
    headers: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Run ``command`` until the block ends; ready once ``health_path`` answers 200."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd or _REPO,
            start_new_session=True,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path, dict(headers or {}))
    try:
        _wait_ready(server, health_path, timeout)
        yield server
    finally:
        server.stop()


def _wait_ready(server: Server, health_path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:
        while True:
            if server.process.poll() is not None:
                tail = server.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{server.name} exited during start-up:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(server.url + health_path).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} not ready after {timeout:.0f} s")
            time.sleep(0.1)


def python_command(*args: str) -> list[str]:
    """Run a module with the interpreter running the benchmark."""
    return [sys.executable, *args]


def cli_command(*args: str) -> list[str]:
    """The installed ``customer-graph`` command, as deployed (``-m gateway.cli`` if absent)."""
    script = Path(sys.executable).with_name("customer-graph")
    if script.exists():
        return [str(script), *args]
    return python_command("-m", "gateway.cli", *args)


def start_sandbox(
    log_dir: Path, *, customers: int, latency_ms: float
) -> AbstractContextManager[Server]:
    """``customer-graph sandbox`` with ``latency_ms`` injected into every API."""
    port = free_port()
    command = cli_command(
        "sandbox",
        "--port",
        str(port),
        "--customers",
        str(customers),
        "--faults",
        f"*=latency_ms:{latency_ms:g}",
    )
    return start_server("sandbox", command, port, "/healthz", log_dir)


def gateway_config(sandbox_url: str, port: int, api_key_sha256: str) -> str:
    """The shipped configuration in production mode, pointed at ``sandbox_url``.

    Production mode refuses anonymous callers, so the benchmark is a partner with its own key
    (all read scopes, a rate far above what it sends: it measures serving, not refusing).
    """
    shipped = (_REPO / "gateway" / "sandbox.toml").read_text(encoding="utf-8")
    body = shipped.replace("${SANDBOX_URL:-http://127.0.0.1:8100}", sandbox_url)
    start = body.index("[server]\n")
    end = body.index("\n[", start + 1) + 1
    # No load balancer to drain at the end of a run: stop without the readiness delay.
    server = (
        f'[server]\nhost = "127.0.0.1"\nport = {port}\nmode = "production"\nshutdown_delay = 0\n'
    )
    key = (
        "[auth.api_keys.bench]\n"
        f'sha256 = "{api_key_sha256}"\n'
        'scopes = ["customers:read", "pii:read"]\n'
        'rate_limit = "1000000/second"\n'
    )
    return f"# Generated by `python -m bench`.\n{body[:start]}{server}\n{body[end:]}\n{key}"


def start_gateway(
    log_dir: Path,
    sandbox_url: str,
    api_key: str,
    *,
    workers: int = 1,
    cache: bool = True,
    fast_path: bool = True,
    name: str = "gateway",
) -> AbstractContextManager[Server]:
    """``customer-graph serve`` with a generated production config, as its own process.

    ``cache=False`` turns the entity cache off with the documented ``CG_CACHE__ENABLED``;
    ``fast_path=False`` runs every operation on Strawberry (``CG_SERVER__FAST_PATH``).
    """
    port = free_port()
    config = log_dir / f"{name}.toml"
    log_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    config.write_text(gateway_config(sandbox_url, port, digest), encoding="utf-8")
    command = cli_command("serve", "--config", str(config), "--workers", str(workers))
    env = {} if cache else {"CG_CACHE__ENABLED": "false"}
    if not fast_path:
        env["CG_SERVER__FAST_PATH"] = "false"
    return start_server(
        name, command, port, "/healthz", log_dir, env=env, headers={"x-api-key": api_key}
    )


def start_module(
    log_dir: Path, name: str, module: str, *args: str, health_path: str = "/healthz"
) -> AbstractContextManager[Server]:
    """A benchmark-only server (``bench.naive``, ``bench.ceiling``) on a free port."""
    port = free_port()
    command = python_command("-m", module, "--port", str(port), *args)
    return start_server(name, command, port, health_path, log_dir)
