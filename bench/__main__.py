"""``./dev bench [--quick] [--scenarios 1,3] [--no-hive] [--no-tailcall]``: run, write the report.

Starts the sandbox, the gateway (production config, own process), the naive baseline, the
Python floor, the ceiling endpoint, Hive Gateway and Tailcall as separate processes, drives
them with wrk (or the aiohttp driver), writes raw results to bench/results/ and the tables to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import machine, report
from bench.load import available_driver
from bench.plan import FULL, QUICK, Plan
from bench.scenarios import calls, large_list, latency, memory, throughput
from bench.stack import Stack

RESULTS = Path(__file__).resolve().parent / "results"
REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"

Scenario = Callable[[Stack, Plan, str], dict[str, Any]]
SCENARIOS: dict[str, tuple[str, Scenario]] = {
    "1": ("calls", lambda stack, plan, driver: calls.run(stack, plan)),
    "2": ("latency", latency.run),
    "3": ("throughput", throughput.run),
    "4": ("large_list", large_list.run),
    "5": ("memory", lambda stack, plan, driver: memory.run(stack, plan)),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (about 2 minutes)")
    parser.add_argument(
        "--scenarios", default="1,2,3,4,5", help="comma-separated scenario numbers (1-5)"
    )
    parser.add_argument("--no-hive", action="store_true", help="skip Hive Gateway")
    parser.add_argument("--no-tailcall", action="store_true", help="skip Tailcall")
    parser.add_argument(
        "--driver", choices=["wrk", "python"], default=None, help="default: wrk when installed"
    )
    parser.add_argument("--report", type=Path, default=REPORT, help="markdown file to update")
    parser.add_argument("--no-report", action="store_true", help="only write the JSON results")
    args = parser.parse_args(argv)
    selected = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in selected if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from 1-5")
    plan = QUICK if args.quick else FULL
    driver = args.driver or available_driver()
    command = ["./dev", "bench", *(sys.argv[1:] if argv is None else argv)]

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = RESULTS / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "machine": machine.describe(command),
        "plan": plan.name,
        "driver": driver,
        "scenarios": {},
    }
    customers = max(10_000, plan.memory_customers)
    started = time.perf_counter()
    with Stack(
        run_dir,
        customers=customers,
        with_hive=not args.no_hive,
        with_tailcall=not args.no_tailcall,
    ) as stack:
        for number in selected:
            name, scenario = SCENARIOS[number]
            print(f"scenario {number}: {name} ...", flush=True)
            began = time.perf_counter()
            try:
                outcome = scenario(stack, plan, driver)
            except Exception as exc:
                traceback.print_exc()
                outcome = {"error": f"{type(exc).__name__}: {exc}"}
            outcome["seconds"] = round(time.perf_counter() - began, 1)
            results["scenarios"][name] = outcome
            print(f"scenario {number}: {name} done in {outcome['seconds']} s", flush=True)
        results["hive_error"] = stack.hive_error
        results["tailcall_error"] = stack.tailcall_error
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    described = machine.describe(command)
    results["machine"]["hive"] = described["hive"]
    results["machine"]["tailcall"] = described["tailcall"]

    raw = RESULTS / f"{stamp}.json"
    raw.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"raw results: {raw.relative_to(Path.cwd()) if raw.is_relative_to(Path.cwd()) else raw}")
    if not args.no_report:
        report.write(args.report, results)
        print(f"report: {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
