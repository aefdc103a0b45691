"""The processes of one benchmark run: one sandbox, and each server started on first use."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import orjson

from bench import hive, tailcall
from bench.servers import (
    Missing,
    Server,
    gateway_config,
    start_gateway,
    start_module,
    start_sandbox,
)
from gateway.settings import DEFAULT_CONFIG, Settings, load_settings


class Stack:
    """Servers under test over one shared sandbox; everything stops when the block ends."""

    def __init__(
        self, run_dir: Path, *, customers: int, with_hive: bool, with_tailcall: bool = True
    ) -> None:
        self.run_dir = run_dir
        self.log_dir = run_dir / "logs"
        self.customers = customers
        self.with_hive = with_hive
        self.hive_error: str | None = None if with_hive else "disabled with --no-hive"
        self.tailcall_error: str | None = None if with_tailcall else "disabled with --no-tailcall"
        self._exit = ExitStack()
        self._servers: dict[str, Server] = {}
        self._supergraph: Path | None = None
        self._http = httpx.Client(timeout=300)
        # The benchmark's partner key for the gateways of this run (production mode).
        self.api_key = "cgk_bench_" + secrets.token_urlsafe(24)

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit.close()
        self._http.close()

    def _get(self, key: str, start: AbstractContextManager[Server]) -> Server:
        if key not in self._servers:
            self._servers[key] = self._exit.enter_context(start)
        return self._servers[key]

    # The sandbox and its controls.

    def sandbox(self) -> Server:
        return self._get(
            "sandbox", start_sandbox(self.log_dir, customers=self.customers, latency_ms=0)
        )

    def set_latency(self, latency_ms: float) -> None:
        """Inject ``latency_ms`` into every sandbox API (its runtime fault settings)."""
        faults = {api: {"latency_ms": latency_ms} for api in self.upstream_names()}
        self._http.put(self.sandbox().url + "/_faults", json=faults).raise_for_status()

    def reset_calls(self) -> None:
        self._http.post(self.sandbox().url + "/_stats/reset").raise_for_status()

    def calls(self) -> dict[str, int]:
        return {api: s["requests"] for api, s in self._stats().items()}

    def requests(self) -> list[tuple[str, str, str]]:
        """Every upstream request since the last reset as (method, path, query), sorted."""
        events = [e for api in self._stats().values() for e in api["events"]]
        return sorted((e["method"], e["path"], e["query"]) for e in events)

    def _stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = (
            self._http.get(self.sandbox().url + "/_stats").raise_for_status().json()
        )
        return stats

    def upstream_names(self) -> tuple[str, ...]:
        return tuple(self.gateway_settings().sources)

    def gateway_settings(self) -> Settings:
        """The shipped source configuration, pointed at this run's sandbox."""
        return load_settings(DEFAULT_CONFIG, {"SANDBOX_URL": self.sandbox().url})

    # The servers under test.

    def gateway(self, *, workers: int = 1, cache: bool = True, fast_path: bool = True) -> Server:
        """The gateway in production mode with ``workers`` processes, its entity cache on or off."""
        name = "gateway" + (f"-{workers}w" if workers > 1 else "") + ("" if cache else "-nocache")
        name += "" if fast_path else "-strawberry"
        start = start_gateway(
            self.log_dir,
            self.sandbox().url,
            self.api_key,
            workers=workers,
            cache=cache,
            fast_path=fast_path,
            name=name,
        )
        return self._get(name, start)

    def fresh_gateway(self, name: str) -> AbstractContextManager[Server]:
        """A gateway of its own that stops when its block ends (for memory measurements)."""
        return start_gateway(self.log_dir, self.sandbox().url, self.api_key, name=name)

    def production_settings(self, *, cache: bool, response_cache: bool = False) -> Settings:
        """The settings a started gateway runs with, for serving it in this process; with
        ``response_cache``, whole answers are kept too."""
        path = self.log_dir / "gateway-in-process.toml"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(self.api_key.encode()).hexdigest()
        path.write_text(gateway_config(self.sandbox().url, 0, digest), encoding="utf-8")
        env = {} if cache else {"CG_CACHE__ENABLED": "false"}
        if response_cache:
            env["CG_RESPONSE_CACHE__ENABLED"] = "true"
        return load_settings(path, env)

    def naive(self) -> Server:
        start = start_module(self.log_dir, "naive", "bench.naive", "--sandbox", self.sandbox().url)
        return self._get("naive", start)

    def floor(self) -> Server:
        """The Python floor (bench/floor.py), batching as the gateway's sources are configured."""
        sources = self.gateway_settings().sources
        start = start_module(
            self.log_dir,
            "floor",
            "bench.floor",
            "--sandbox",
            self.sandbox().url,
            "--crm-batch",
            str(sources["crm"].max_batch_size),
            "--orders-batch",
            str(sources["orders"].max_batch_size),
        )
        return self._get("floor", start)

    def ceiling(self, customers: int) -> Server:
        start = start_module(
            self.log_dir, "ceiling", "bench.ceiling", "--customers", str(customers)
        )
        return self._get("ceiling", start)

    def hive(self, *, workers: int = 1) -> Server | Missing:
        """Hive Gateway over the sandbox, or why it cannot run (also in ``hive_error``)."""
        if self.hive_error is not None:
            return Missing(f"Hive unavailable: {self.hive_error}")
        try:
            if self._supergraph is None:
                hive.install()
                self._supergraph = hive.compose(self.sandbox().url)
            return self._get(
                f"hive-{workers}", hive.start(self.log_dir, self._supergraph, workers=workers)
            )
        except (hive.HiveUnavailable, RuntimeError) as exc:
            self.hive_error = str(exc)
            return Missing(f"Hive unavailable: {exc}")

    def tailcall(self, *, workers: int = 1) -> Server | Missing:
        """Tailcall over the sandbox, or why it cannot run (also in ``tailcall_error``)."""
        if self.tailcall_error is not None:
            return Missing(f"Tailcall unavailable: {self.tailcall_error}")
        try:
            tailcall.install()
            start = tailcall.start(self.log_dir, self.sandbox().url, workers=workers)
            return self._get(f"tailcall-{workers}", start)
        except (tailcall.TailcallUnavailable, RuntimeError) as exc:
            self.tailcall_error = str(exc)
            return Missing(f"Tailcall unavailable: {exc}")

    def post(self, server: Server, body: bytes) -> Any:
        """One GraphQL request; the decoded JSON answer."""
        headers = {"content-type": "application/json", **server.headers}
        response = self._http.post(server.url + "/graphql", content=body, headers=headers)
        with contextlib.suppress(ValueError):
            return orjson.loads(response.content)
        raise RuntimeError(f"{server.name} answered {response.status_code}: {response.text[:300]}")
