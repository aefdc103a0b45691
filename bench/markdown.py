"""Cells and tables of the benchmark report: numbers rounded as the report prints them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def ratio(value: float | None, other: float | None) -> str:
    if not value or not other:
        return "-"
    return f"{value / other:.2f}x"


def cpu(row: dict[str, Any]) -> str:
    """A row's server CPU per request, with the spread of its rounds when it ran several."""
    value = row.get("server_cpu_ms_per_request")
    if value is None:
        return "-"
    spread = row.get("cpu_ms_per_request_range")
    if not spread or spread[0] == spread[1]:
        return ms(value)
    return f"{ms(value)} ({ms(spread[0])}-{ms(spread[1])})"


def rounds(outcome: dict[str, Any]) -> str:
    count = outcome.get("rounds", 1)
    if count < 2:
        return " Every case ran once (no rounds: a quick run)."
    return (
        f" Every case ran {count} times for {outcome['round_seconds']:g} s, the cases "
        "interleaved; each row is its median round by requests per second, with the lowest "
        "and highest CPU per request of its rounds in brackets."
    )
