"""``customer-graph sandbox`` and ``customer-graph demo``: the sample upstreams alone, or with
the gateway beside them.

The demo adds to the shipped config so every feature shows: the CRM signs a change notice
for each write and the gateway accepts it, so subscriptions fire."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from collections.abc import Mapping

import uvicorn
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.logs import configure_logging
from gateway.settings import load_or_report

DEMO_SECRET_ENV = "CRM_WEBHOOK_SECRET"


def demo_environment(environ: Mapping[str, str], host: str, sandbox_port: int) -> dict[str, str]:
    """The environment the demo loads its settings with: the sandbox's URL, a webhook for
    the CRM and its secret (a new one per run unless ``CRM_WEBHOOK_SECRET`` is set)."""
    demo = {
        **environ,
        "SANDBOX_URL": f"http://{host}:{sandbox_port}",
        DEMO_SECRET_ENV: environ.get(DEMO_SECRET_ENV) or secrets.token_urlsafe(32),
    }
    # A webhook table of the caller's own is kept.
    demo.setdefault("CG_SOURCES__CRM__WEBHOOK", json.dumps({"secret_env": DEMO_SECRET_ENV}))
    return demo


def add_sandbox_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--customers", type=int, default=10_000, help="customers generated; default: 10000"
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed of the generated data; default: 42"
    )
    parser.add_argument(
        "--faults",
        default=None,
        help="e.g. 'crm=latency_ms:100,failure_rate:0.3;*=latency_ms:20' (see docs/sandbox.md); "
        "default: $SANDBOX_FAULTS, else none",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=None, help="latency for every API; default: none"
    )


def _sandbox_app(
    args: argparse.Namespace, notify_url: str | None = None, notify_secret: str | None = None
) -> Starlette:
    from sandbox import SandboxSettings, faults_from_env, parse_fault_spec
    from sandbox import create_app as create_sandbox

    faults = faults_from_env(os.environ)
    if args.faults:
        faults.update(parse_fault_spec(args.faults))
    if args.latency_ms is not None:
        for fault in faults.values():
            fault.latency_ms = args.latency_ms
    return create_sandbox(
        SandboxSettings(
            customers=args.customers,
            seed=args.seed,
            faults=faults,
            notify_url=notify_url,
            notify_secret=notify_secret,
        )
    )


def run_sandbox(args: argparse.Namespace) -> int:
    configure_logging("console")
    try:
        app = _sandbox_app(args)
    except ValueError as exc:
        print(f"invalid sandbox options: {exc}", file=sys.stderr)
        return 2
    print(f"sandbox APIs on http://{args.host}:{args.port}/{{crm,orders,loyalty,preferences}}")
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
    return 0


def run_demo(args: argparse.Namespace) -> int:
    environ = demo_environment(os.environ, args.host, args.sandbox_port)
    try:
        sandbox_app = _sandbox_app(
            args, f"http://{args.host}:{args.port}/webhooks/crm", environ[DEMO_SECRET_ENV]
        )
    except ValueError as exc:
        print(f"invalid sandbox options: {exc}", file=sys.stderr)
        return 2
    settings = load_or_report(None, environ)
    if settings is None:
        return 1
    # Readable lines: each GraphiQL query shows its access line in the terminal.
    configure_logging("console", settings.logging.level)
    gateway_app = create_app(settings)

    async def run_both() -> None:
        servers = [
            uvicorn.Server(
                uvicorn.Config(app, host=args.host, port=port, log_config=None, access_log=False)
            )
            for app, port in ((sandbox_app, args.sandbox_port), (gateway_app, args.port))
        ]
        tasks = [asyncio.create_task(s.serve()) for s in servers]
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.05)
        else:
            print(
                f"\n  GraphiQL:  http://{args.host}:{args.port}/graphql\n"
                f"  Sandbox:   http://{args.host}:{args.sandbox_port}/_stats\n",
                flush=True,
            )
        await asyncio.gather(*tasks)

    asyncio.run(run_both())
    return 0
