"""``customer-graph warm``: fill the shared cache off-peak, so replicas start the day warm.

Pages through the primary source's listing; for each page every other source is asked
once, in one batch, through the cached sources the gateway itself uses, so records land in
Redis exactly as queries would store them. Pages load concurrently (``concurrency`` at a
time) while the listing moves on. The cursor to resume from is kept as pages complete and
printed at the end, on failure and on interruption.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import redis.asyncio as redis
from prometheus_client import CollectorRegistry, Counter
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from core import Clock, GatewayError, RedisHealthBoard, SystemTimer, Timer
from datasources import CacheWarmer, RequestBudget, SourceMetrics
from gateway.settings import Settings
from gateway.upstreams import open_sources


@dataclass(frozen=True, slots=True)
class WarmOptions:
    """What to warm: ``pages`` of ``page_size`` customers (all pages, the largest size every
    source fetches in one call, when None), from ``after``, changed since ``updated_since``."""

    pages: int | None = None
    page_size: int | None = None
    updated_since: datetime | None = None
    after: str | None = None
    concurrency: int = 4


@dataclass(slots=True)
class WarmReport:
    """What a run did, kept current while it runs so an interruption can still report."""

    pages: int = 0
    customers: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    redis_errors: int = 0
    # The listing failed (or could not start): why. Pages already loaded stay warm.
    error: str | None = None
    # Where to start again: None once the listing is complete and every page loaded.
    resume_after: str | None = None
    finished: bool = False

    @property
    def ok(self) -> bool:
        return self.finished and self.error is None and not any(self.failed.values())


class WarmError(Exception):
    """The run cannot start: the settings or Redis do not allow a useful warm-up."""


def check_can_warm(settings: Settings) -> None:
    """Refuse a run whose records would land only in this short-lived process."""
    if not settings.cache.enabled:
        raise WarmError("the entity cache is off (cache.enabled = false): nothing would be kept")
    if not settings.cache.redis_url:
        raise WarmError(
            "cache.redis_url is not set: records would be cached only in this process, "
            "which ends with the run; set it to the Redis the gateway replicas share"
        )


async def ping_redis(settings: Settings) -> None:
    client = redis.Redis.from_url(
        settings.cache.redis_url or "", socket_connect_timeout=2, socket_timeout=2
    )
    try:
        await client.ping()
    except (redis.RedisError, OSError) as exc:
        raise WarmError(f"Redis at cache.redis_url is unreachable ({type(exc).__name__})") from None
    finally:
        await client.aclose()


async def warm(
    settings: Settings,
    options: WarmOptions,
    report: WarmReport,
    *,
    on_page: Callable[[WarmReport], None] = lambda report: None,
    clock: Clock = time.time,
    timer: Timer | None = None,
) -> None:
    """Warm the cache as ``options`` say, keeping ``report`` current; ``on_page`` runs after
    each page is loaded."""
    timer = timer or SystemTimer()
    registry = CollectorRegistry()
    metrics = SourceMetrics(registry)
    redis_health = RedisHealthBoard(settings.redis, timer, registry)
    sources = open_sources(settings, metrics, clock, timer, redis_health)
    report.resume_after = options.after
    try:
        try:
            warmer = CacheWarmer(sources, settings.sources, clock)
        except GatewayError as exc:
            report.error = exc.message
            return
        report.skipped = dict(warmer.skipped)
        report.failed = dict.fromkeys([warmer.primary, *warmer.others], 0)
        size = options.page_size or warmer.page_size
        if not 0 < size <= warmer.max_page_size:
            report.error = f"the page size must be between 1 and {warmer.max_page_size}"
            return

        def budget() -> RequestBudget:
            server = settings.server
            return RequestBudget(timer, server.request_deadline, server.retry_budget)

        # Page number -> the cursor it was listed with, while it loads.
        loading: dict[int, str | None] = {}
        slots = asyncio.Semaphore(options.concurrency)

        async def load(number: int, ids: list[str]) -> None:
            try:
                page_budget = budget()
                failures = await asyncio.gather(
                    *(warmer.load(ids, name, page_budget) for name in warmer.others)
                )
                for name, failed in zip(warmer.others, failures, strict=True):
                    report.failed[name] += failed
                report.pages += 1
                report.customers += len(ids)
            finally:
                del loading[number]
                slots.release()
            report.resume_after = loading[min(loading)] if loading else after
            on_page(report)

        after = options.after
        tasks: list[asyncio.Task[None]] = []
        number = 0
        while options.pages is None or number < options.pages:
            await slots.acquire()
            try:
                page = await warmer.list_page(size, after, options.updated_since, budget())
            except GatewayError as exc:
                slots.release()
                report.error = f"listing {warmer.primary} failed: {exc.message}"
                break
            loading[number] = after
            after = page.next_cursor
            tasks.append(asyncio.create_task(load(number, page.customer_ids)))
            number += 1
            if after is None:
                break
        await asyncio.gather(*tasks)
        report.resume_after = loading[min(loading)] if loading else after
        report.finished = report.error is None
    finally:
        report.calls = _totals(metrics.requests, "source")
        # Stores that failed, and those not tried while Redis was backing off.
        report.redis_errors = sum(_totals(metrics.redis_errors, "operation").values()) + int(
            _sum_of(registry, "customer_graph_redis_skipped_total")
        )
        await sources.aclose()
        await redis_health.aclose()


def _totals(counter: Counter, label: str) -> dict[str, int]:
    """A counter's totals by one of its labels."""
    totals: dict[str, int] = {}
    for family in counter.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                key = sample.labels[label]
                totals[key] = totals.get(key, 0) + int(sample.value)
    return totals


def _sum_of(registry: CollectorRegistry, sample_name: str) -> float:
    return sum(
        sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == sample_name
    )


def run_warm(settings: Settings, options: WarmOptions, out: Console, err: Console) -> int:
    """The command: progress on ``err``, the summary on ``out``; 0 when everything warmed,
    1 when something failed, 2 when the run could not start."""
    try:
        check_can_warm(settings)
        asyncio.run(ping_redis(settings))
    except WarmError as exc:
        err.print(f"cannot warm: {exc}")
        return 2
    report = WarmReport()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[customers]} customers"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("warming", total=options.pages, customers=0)

        def on_page(report: WarmReport) -> None:
            progress.update(task, completed=report.pages, customers=report.customers)

        try:
            asyncio.run(warm(settings, options, report, on_page=on_page))
        except KeyboardInterrupt:
            report.error = "interrupted"
    _summary(report, out)
    return 0 if report.ok else 1


def _summary(report: WarmReport, out: Console) -> None:
    table = Table(title=f"warmed {report.customers} customers in {report.pages} pages")
    table.add_column("source")
    table.add_column("upstream calls", justify="right")
    table.add_column("customers failed", justify="right")
    table.add_column("note")
    for name in sorted({*report.calls, *report.failed, *report.skipped}):
        table.add_row(
            name,
            str(report.calls.get(name, 0)),
            str(report.failed.get(name, 0)),
            f"skipped: {report.skipped[name]}" if name in report.skipped else "",
        )
    out.print(table)
    if report.redis_errors:
        out.print(f"Redis failed {report.redis_errors} times: some records were not stored")
    if report.error:
        out.print(f"stopped: {report.error}")
    if report.resume_after is not None:
        out.print(f"resume with: --after {report.resume_after}", soft_wrap=True)
    elif report.finished:
        out.print("the listing is complete")
