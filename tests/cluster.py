"""Gateway replicas as real ``customer-graph serve`` processes, behind a real HAProxy.

HAProxy runs the shipped deploy/haproxy/haproxy.cfg with only its addresses changed, so the
health checks and retries that make a rolling stop lose no request are the ones deployed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.servers import cli_command, free_port
from tests.tools import haproxy_binary

REPO = Path(__file__).resolve().parent.parent
HAPROXY_CONFIG = REPO / "deploy" / "haproxy" / "haproxy.cfg"
# The lines of the shipped config that name addresses (Docker's, in docker-compose.yml).
_FRONTEND_BIND = "    bind :8080\n"
_STATS_BIND = "    bind :8404\n"
_SERVER_TEMPLATE = "    server-template gateway 10 gateway:8000 resolvers docker init-addr none\n"


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Poll until ``condition`` holds; bounded, so a failure cannot hang the suite."""
    give_up = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < give_up, f"{what} did not hold within {timeout:.0f} s"
        time.sleep(0.05)


@dataclass
class Replica:
    """One ``customer-graph serve`` process on its own port."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def signal(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)


def _ready(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    return False


@contextlib.contextmanager
def replicas(count: int, env: Mapping[str, str], log_dir: Path) -> Iterator[list[Replica]]:
    """``count`` gateways started together, each ready (``/readyz`` 200) when yielded.

    ``env`` configures them (``CG_CONFIG`` and ``CG_*`` overrides), as a deployment does.
    At the end each gets SIGTERM and SIGINT: the second ends the readiness delay at once (two
    of the same signal sent together can arrive as one).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    started: list[Replica] = []
    try:
        for index in range(1, count + 1):
            port = free_port()
            log_path = log_dir / f"replica{index}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    cli_command("serve", "--port", str(port)),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **env},
                    cwd=REPO,
                )
            started.append(
                Replica(f"replica{index}", f"http://127.0.0.1:{port}", process, log_path)
            )
        for replica in started:
            # Generous: three interpreters starting at once on a shared 2-core machine.
            wait_for(
                lambda r=replica: r.process.poll() is not None or _ready(r.url),  # type: ignore[misc]
                timeout=90,
                what=f"{replica.name} ready (its log: {replica.log_path})",
            )
            assert replica.process.poll() is None, f"{replica.name} exited:\n{replica.log()}"
        yield started
    finally:
        for replica in started:
            replica.signal(signal.SIGTERM)
            replica.signal(signal.SIGINT)
        for replica in started:
            try:
                replica.process.wait(15)
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait(5)


@dataclass
class Balancer:
    """A running HAProxy: the URL clients use, and its per-replica state and counts."""

    url: str
    stats_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def servers(self) -> dict[str, dict[str, str]]:
        """Each replica's row of HAProxy's statistics (``status``, ``stot`` ...), by name."""
        text = httpx.get(f"{self.stats_url}/;csv", timeout=5).raise_for_status().text
        rows = csv.DictReader(io.StringIO(text.removeprefix("# ")))
        return {
            row["svname"]: row
            for row in rows
            if row["pxname"] == "gateways" and row["svname"] not in ("FRONTEND", "BACKEND")
        }


def balancer_config(replica_urls: list[str], port: int, stats_port: int) -> str:
    """The shipped config with loopback addresses in place of Docker's."""
    shipped = HAPROXY_CONFIG.read_text(encoding="utf-8")
    for line in (_FRONTEND_BIND, _STATS_BIND, _SERVER_TEMPLATE):
        assert line in shipped, f"{HAPROXY_CONFIG} no longer has the line {line.strip()!r}"
    servers = "".join(
        f"    server replica{i} {url.removeprefix('http://')}\n"
        for i, url in enumerate(replica_urls, 1)
    )
    return (
        shipped.replace(_FRONTEND_BIND, f"    bind 127.0.0.1:{port}\n")
        .replace(_STATS_BIND, f"    bind 127.0.0.1:{stats_port}\n")
        .replace(_SERVER_TEMPLATE, servers)
    )


@contextlib.contextmanager
def balancer(replica_urls: list[str], log_dir: Path) -> Iterator[Balancer]:
    """HAProxy in front of ``replica_urls``, yielded once it sees every replica up."""
    binary = haproxy_binary()
    port, stats_port = free_port(), free_port()
    config = log_dir / "haproxy.cfg"
    config.write_text(balancer_config(replica_urls, port, stats_port), encoding="utf-8")
    check = subprocess.run([binary, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, f"haproxy refused {config}:\n{check.stdout}{check.stderr}"
    log_path = log_dir / "haproxy.log"
    with log_path.open("wb") as log:
        # -db: stay in the foreground, so the test owns the process.
        process = subprocess.Popen(
            [binary, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    running = Balancer(
        f"http://127.0.0.1:{port}", f"http://127.0.0.1:{stats_port}", process, log_path
    )
    try:

        def all_up() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                states = [row["status"] for row in running.servers().values()]
                return len(states) == len(replica_urls) and all(s == "UP" for s in states)
            assert process.poll() is None, log_path.read_text(errors="replace")
            return False

        wait_for(all_up, what="every replica UP in HAProxy")
        yield running
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
