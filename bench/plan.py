"""How long and how much each scenario measures: the quick and the full plan."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """Durations in seconds, sizes in customers."""

    name: str
    call_sizes: tuple[int, ...] = (1, 10, 100, 1000)
    latency_sizes: tuple[int, ...] = (1, 100)
    latency_ms: float = 20
    # Scenarios 2 and 4 run their cases interleaved too, as scenario 3 does.
    latency_seconds: float = 5
    latency_rounds: int = 3
    throughput_concurrency: int = 32
    throughput_seconds: float = 8
    # Every throughput case runs this many times, the cases interleaved; each row reports
    # its median round, so a slow spell of the machine does not fall on one server alone.
    throughput_rounds: int = 3
    throughput_ids: int = 1000
    large_list_size: int = 1000
    large_list_seconds: float = 5
    large_list_rounds: int = 3
    reference_repeats: int = 30
    memory_customers: int = 100_000
    memory_batch: int = 1000


FULL = Plan(name="full")

QUICK = Plan(
    name="quick",
    # N = 1000 costs the naive server 4,000 calls and Tailcall 1,000 per request; the call
    # counts at 1000 are asserted in tests/test_bench_counts.py.
    call_sizes=(1, 10, 100),
    latency_seconds=2,
    latency_rounds=1,
    throughput_seconds=2,
    throughput_rounds=1,
    large_list_seconds=2,
    large_list_rounds=1,
    reference_repeats=5,
    memory_customers=20_000,
)
