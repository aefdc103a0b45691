"""The ``customer-graph`` command: serve, sandbox, demo, check-config, hash-key, warm,
graphiql-assets."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import structlog
import uvicorn
from rich.console import Console
from starlette.applications import Starlette

from auth import generate_api_key, hash_api_key
from gateway.app import create_app
from gateway.demo import DEMO_SECRET_ENV, demo_environment
from gateway.graphiql import DEFAULT_ASSETS, AssetsError, fetch_assets, missing_assets
from gateway.logs import configure_logging
from gateway.serve import GatewayServer
from gateway.settings import DEFAULT_CONFIG, ConfigError, Settings, load_settings
from gateway.warm import WarmOptions, run_warm

_WORKER_CONFIG_ENV = "CUSTOMER_GRAPH_WORKER_CONFIG"
_WORKER_LOG_FORMAT_ENV = "CUSTOMER_GRAPH_WORKER_LOG_FORMAT"
# The config file of `serve` when --config is not given (the images and manifests set it).
CONFIG_ENV = "CG_CONFIG"

log = structlog.get_logger("customer_graph.gateway")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="customer-graph", description="A GraphQL gateway over customer REST APIs."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the gateway against configured upstreams")
    serve.add_argument(
        "--config", type=Path, default=None, help=f"config file (TOML); default: ${CONFIG_ENV}"
    )
    serve.add_argument("--host", default=None, help="overrides server.host")
    serve.add_argument("--port", type=int, default=None, help="overrides server.port")
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument(
        "--log-format", choices=["json", "console"], default=None, help="overrides logging.format"
    )
    serve.set_defaults(run=_serve)

    sandbox = commands.add_parser("sandbox", help="run the four sample upstream APIs")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8100)
    _sandbox_options(sandbox)
    sandbox.set_defaults(run=_sandbox)

    demo = commands.add_parser("demo", help="run the sandbox and the gateway together")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="gateway port")
    demo.add_argument("--sandbox-port", type=int, default=8100)
    _sandbox_options(demo)
    demo.set_defaults(run=_demo)

    check = commands.add_parser("check-config", help="validate a config file, report all errors")
    check.add_argument("file", type=Path, nargs="?", default=DEFAULT_CONFIG)
    check.set_defaults(run=_check_config)

    hash_key = commands.add_parser(
        "hash-key",
        help="print the SHA-256 to configure for a partner API key (read from stdin)",
    )
    hash_key.add_argument(
        "--generate", action="store_true", help="make a new random key and print it with its hash"
    )
    hash_key.set_defaults(run=_hash_key)

    warm = commands.add_parser(
        "warm", help="fill the shared cache (Redis) from every source, page by page, off-peak"
    )
    warm.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    warm.add_argument("--updated-since", type=_aware_datetime, default=None, metavar="TIME")
    warm.add_argument("--pages", type=_positive, default=None, help="stop after N pages")
    warm.add_argument(
        "--page-size", type=_positive, default=None, help="default: one batch per source"
    )
    warm.add_argument("--after", default=None, metavar="CURSOR", help="resume from a cursor")
    warm.add_argument("--concurrency", type=_positive, default=4, help="pages loading at once")
    warm.set_defaults(run=_warm)

    assets = commands.add_parser(
        "graphiql-assets", help="fetch GraphiQL's files from npm (pinned, integrity-checked)"
    )
    assets.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    assets.add_argument(
        "--if-missing", action="store_true", help="do nothing when the files are there"
    )
    assets.set_defaults(run=_graphiql_assets)
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return number


def _aware_datetime(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time, got {value!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("expected a time with Z or an offset")
    return moment


def _sandbox_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--faults",
        default=None,
        help="e.g. 'crm=latency_ms:100,failure_rate:0.3;*=latency_ms:20' (see docs/sandbox.md)",
    )
    parser.add_argument("--latency-ms", type=float, default=None, help="latency for every API")


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


def _load(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings | None:
    """The settings, or None after printing every problem (the server must not start)."""
    try:
        return load_settings(path, environ)
    except ConfigError as exc:
        count = len(exc.problems)
        print(f"invalid configuration ({count} problem{'s' * (count != 1)}):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _check_config(args: argparse.Namespace) -> int:
    configure_logging("console")
    settings = _load(args.file)
    if settings is None:
        return 1
    print(f"{args.file}: ok ({len(settings.sources)} sources: {', '.join(settings.sources)})")
    return 0


def _hash_key(args: argparse.Namespace) -> int:
    # The key is read from stdin, never from the command line, where shell history and
    # process listings would keep it.
    if args.generate:
        key = generate_api_key()
        print(f"key:    {key}\nsha256: {hash_api_key(key)}")
        print("Give the key to the partner once; configure only the sha256.", file=sys.stderr)
        return 0
    key = (getpass.getpass("API key: ") if sys.stdin.isatty() else sys.stdin.readline()).strip()
    if not key:
        print("no key given on stdin", file=sys.stderr)
        return 2
    print(hash_api_key(key))
    return 0


def _warm(args: argparse.Namespace) -> int:
    settings = _load(args.config)
    if settings is None:
        return 1
    configure_logging("console", settings.logging.level)
    options = WarmOptions(
        pages=args.pages,
        page_size=args.page_size,
        updated_since=args.updated_since,
        after=args.after,
        concurrency=args.concurrency,
    )
    return run_warm(settings, options, Console(), Console(stderr=True))


def _serve_config(option: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The config file ``serve`` runs with: ``--config``, else ``$CG_CONFIG``; None if neither.

    There is no default: a gateway started without one would serve the bundled sandbox
    configuration against whatever answers on 127.0.0.1:8100.
    """
    if option is not None:
        return option
    named = environ.get(CONFIG_ENV, "").strip()
    return Path(named) if named else None


def _serve(args: argparse.Namespace) -> int:
    config = _serve_config(args.config, os.environ)
    if config is None:
        print(
            f"no configuration: pass --config FILE or set {CONFIG_ENV} "
            f"(the sandbox's is {DEFAULT_CONFIG}; `customer-graph demo` runs it)",
            file=sys.stderr,
        )
        return 2
    settings = _load(config)
    if settings is None:
        return 1
    configure_logging(args.log_format or settings.logging.format, settings.logging.level)
    log.info("configuration loaded", config=str(config.resolve()), sources=list(settings.sources))
    server = settings.server.model_copy(
        update={k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    )
    settings = settings.model_copy(update={"server": server})
    if args.workers > 1:
        # Worker processes import the app by name, so each loads the same file (and CG_* env).
        # uvicorn's supervisor runs them: in-flight requests get shutdown_grace, but readiness
        # does not turn false ahead of the stop as GatewayServer does for a single process.
        os.environ[_WORKER_CONFIG_ENV] = str(config.resolve())
        if args.log_format:
            os.environ[_WORKER_LOG_FORMAT_ENV] = args.log_format
        uvicorn.run(
            f"{__name__}:worker_app",
            factory=True,
            workers=args.workers,
            host=server.host,
            port=server.port,
            timeout_graceful_shutdown=server.shutdown_grace,
            log_config=None,
            access_log=False,
            loop="uvloop",
            http="httptools",
        )
        return 0
    app = create_app(settings)
    _freeze_start_up()
    # uvloop and httptools: docs/performance.md, 6-13% less CPU per small query.
    GatewayServer(app, server, loop="uvloop", http="httptools").run()
    return 0


def worker_app() -> Starlette:
    """The app of one ``serve --workers N`` process, from the config its parent validated."""
    settings = load_settings(Path(os.environ[_WORKER_CONFIG_ENV]))
    fmt = settings.logging.format
    match os.environ.get(_WORKER_LOG_FORMAT_ENV):
        case "console":
            fmt = "console"
        case "json":
            fmt = "json"
    configure_logging(fmt, settings.logging.level)
    app = create_app(settings)
    _freeze_start_up()
    return app


def _freeze_start_up() -> None:
    # What exists before serving lives as long as the process: keep it out of every
    # collection (docs/performance.md: 11-16% less CPU per request).
    gc.collect()
    gc.freeze()


def _graphiql_assets(args: argparse.Namespace) -> int:
    settings = _load(args.config)
    if settings is None:
        return 2
    directory = settings.server.graphiql_assets or DEFAULT_ASSETS
    if args.if_missing and not missing_assets(directory):
        return 0
    try:
        written = fetch_assets(directory)
    except AssetsError as exc:
        print(f"GraphiQL's files were not fetched: {exc}", file=sys.stderr)
        return 1
    print(f"GraphiQL: {len(written)} files in {directory}")
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    configure_logging("console")
    try:
        app = _sandbox_app(args)
    except ValueError as exc:
        print(f"invalid sandbox options: {exc}", file=sys.stderr)
        return 2
    print(f"sandbox APIs on http://{args.host}:{args.port}/{{crm,orders,loyalty,preferences}}")
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
    return 0


def _demo(args: argparse.Namespace) -> int:
    environ = demo_environment(os.environ, args.host, args.sandbox_port)
    try:
        sandbox_app = _sandbox_app(
            args, f"http://{args.host}:{args.port}/webhooks/crm", environ[DEMO_SECRET_ENV]
        )
    except ValueError as exc:
        print(f"invalid sandbox options: {exc}", file=sys.stderr)
        return 2
    settings = _load(None, environ)
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


if __name__ == "__main__":
    raise SystemExit(main())
