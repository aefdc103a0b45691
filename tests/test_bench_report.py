"""The benchmark report rewrites only its generated section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import report

RESULTS: dict[str, Any] = {
    "machine": {
        "date": "2026-01-01 00:00 UTC",
        "command": "./dev bench --quick",
        "commit": "abc1234",
        "cpu": "Test CPU",
        "cores": 2,
        "memory_gib": 8.0,
        "kernel": "6.0",
        "load_average_at_start": [0.1, 0.1, 0.1],
        "load_average_at_end": [0.2, 0.1, 0.1],
        "python": "3.11.7",
        "libraries": {"strawberry-graphql": "0.341.2"},
        "node": "v20",
        "hive": {},
    },
    "plan": "quick",
    "driver": "wrk",
    "seconds": 90.0,
    "scenarios": {
        "calls": {
            "limits": {"crm": 100, "orders": 50},
            "rows": [
                {
                    "n": 100,
                    "minimum": {"crm": 1, "orders": 2},
                    "gateway": {"calls": {"crm": 1, "orders": 2}, "total": 3},
                    "gateway_at_minimum": True,
                    "naive": {"calls": {"crm": 100, "orders": 100}, "total": 200},
                    "hive": {"error": "Hive unavailable: disabled with --no-hive"},
                    "hive_orders_batched": False,
                }
            ],
        }
    },
    "hive_error": "disabled with --no-hive",
}


def test_report_replaces_only_the_generated_section(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(f"# Benchmarks\n\nBy hand.\n\n{report.START}\nold\n{report.END}\n\nNotes.\n")
    report.write(path, RESULTS)
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\nBy hand.\n\n")
    assert text.endswith(f"{report.END}\n\nNotes.\n")
    assert "old" not in text
    assert "| 100 | 1 / 2 (= 3) | 1 / 2 (= 3) | yes | 100 / 100 (= 200) |" in text
    assert "Hive Gateway did not run: disabled with --no-hive" in text


def test_a_partial_run_keeps_the_other_scenarios_with_their_run(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    earlier = (
        "### Run\n\n| Date | 2025-12-31 10:00 UTC |\n| Commit | 0ld0ld0 |\n\n"
        "### 1. Upstream calls against the minimum\n\nold calls table\n\n"
        "### 5. Memory after many distinct customers\n\n_Not re-run by the run above: from "
        "the run of 2025-01-01 at commit 0lder00._\n\nold memory table"
    )
    path.write_text(f"{report.START}\n{earlier}\n{report.END}\n")
    results = {**RESULTS, "scenarios": {"memory": {"error": "boom"}}}
    report.write(path, results)
    text = path.read_text()
    assert "old calls table" in text
    assert "from the run of 2025-12-31 10:00 UTC at commit 0ld0ld0" in text
    assert "old memory table" not in text
    assert "Failed: boom" in text
    assert text.index("### Run") < text.index("### 1.") < text.index("### 5.")
