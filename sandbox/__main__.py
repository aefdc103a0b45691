"""Run the sandbox: `python -m sandbox --port 8100 --faults "crm=latency_ms:100"`."""

from __future__ import annotations

import argparse
import os

import uvicorn

from .app import create_app
from .fault_spec import faults_from_env, parse_fault_spec
from .settings import SandboxSettings


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--faults",
        default="",
        help='e.g. "crm=latency_ms:100,failure_rate:0.3;orders=latency_ms:20" or '
        '"*=latency_ms:20"; applied over SANDBOX_LATENCY_MS, SANDBOX_FAILURE_RATE, SANDBOX_FAULTS',
    )
    args = parser.parse_args(argv)
    try:
        faults = parse_fault_spec(args.faults, base=faults_from_env(os.environ))
        settings = SandboxSettings(customers=args.customers, seed=args.seed, faults=faults)
    except ValueError as exc:
        parser.error(str(exc))
    uvicorn.run(create_app(settings), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
