"""Memory per cached customer, for sizing pods and Redis (docs/deployment.md).

    python -m bench.footprint [--customers 5000] [--redis redis://127.0.0.1:6379/0]

The sandbox runs as its own process; the gateway runs in this one, so tracemalloc sees what
its cache keeps: allocations still live after ``--customers`` distinct customers passed through
(the four-source query of the benchmark), over a baseline taken after a warm-up. Redis's own
``MEMORY USAGE`` gives each entry's cost there. The keys are written under a prefix of their
own and deleted at the end.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import tracemalloc
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx
import redis

from bench import queries
from bench.servers import start_sandbox
from gateway.app import create_app
from gateway.logs import configure_logging
from gateway.settings import DEFAULT_CONFIG, load_settings
from sandbox.server import run_in_thread

BATCH = 100


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.footprint")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    configure_logging("console", "warning")
    prefix = f"cgfootprint:{uuid.uuid4().hex}:"
    store = redis.Redis.from_url(args.redis)
    with (
        tempfile.TemporaryDirectory() as logs,
        start_sandbox(Path(logs), customers=args.customers + BATCH, latency_ms=0) as sandbox,
    ):
        env = {
            "SANDBOX_URL": sandbox.url,
            "CG_CACHE__REDIS_URL": args.redis,
            "CG_CACHE__REDIS_PREFIX": prefix,
            "CG_REDIS__COMMAND_TIMEOUT": "2",
            # Room for every customer: the figure is per entry, not the bound.
            "CG_CACHE__L1_MAX_ENTRIES": str(args.customers + BATCH),
        }
        app = create_app(load_settings(DEFAULT_CONFIG, env))
        try:
            with run_in_thread(app) as url, httpx.Client(base_url=url, timeout=60) as http:
                # Code paths, parser and validation caches, connection pools: in the baseline.
                _fill(http, 1, BATCH)
                _fill(http, 1, BATCH)
                gc.collect()
                tracemalloc.start()
                before = tracemalloc.get_traced_memory()[0]
                _fill(http, BATCH + 1, args.customers)
                gc.collect()
                after = tracemalloc.get_traced_memory()[0]
                tracemalloc.stop()
            redis_bytes = _redis_usage(store, prefix)
        finally:
            keys = list(store.scan_iter(match=f"{prefix}*"))
            if keys:
                store.delete(*keys)
            store.close()
    per_customer = (after - before) / args.customers
    print(f"customers: {args.customers} (four sources each, {queries.__name__}.FOUR_SOURCES)")
    print(f"in the process: {per_customer / 1024:.2f} KiB per customer (tracemalloc)")
    everyone = args.customers + BATCH
    for source, total in sorted(redis_bytes.items()):
        print(f"in Redis, {source}: {total / everyone:.0f} bytes per customer (MEMORY USAGE)")
    print(
        f"in Redis, all sources: {sum(redis_bytes.values()) / everyone / 1024:.2f} KiB per customer"
    )
    return 0


def _fill(http: httpx.Client, first: int, count: int) -> None:
    for start in range(first, first + count, BATCH):
        ids = queries.ids(min(BATCH, first + count - start), start)
        answer = http.post(
            "/graphql", json={"query": queries.FOUR_SOURCES, "variables": {"ids": ids}}
        )
        problem = queries.problem(answer.json(), len(ids))
        if problem:
            raise RuntimeError(f"customers {start}..: {problem}")


def _redis_usage(store: redis.Redis, prefix: str) -> dict[str, int]:
    """Bytes Redis holds per source under ``prefix`` (keys ``{prefix}e:{source}:...``)."""
    usage: dict[str, int] = {}
    for key in store.scan_iter(match=f"{prefix}e:*", count=1000):
        source = key.decode().removeprefix(f"{prefix}e:").split(":", 1)[0]
        usage[source] = usage.get(source, 0) + int(store.memory_usage(key) or 0)
    return usage


if __name__ == "__main__":
    raise SystemExit(main())
