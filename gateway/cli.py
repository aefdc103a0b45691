"""The ``customer-graph`` command: serve, sandbox, demo, check-config, hash-key, warm,
graphiql-assets, schema."""

from __future__ import annotations

import argparse
import getpass
import importlib.metadata
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from rich.console import Console

from auth import generate_api_key, hash_api_key
from gateway.demo import add_sandbox_options, run_demo, run_sandbox
from gateway.graphiql import DEFAULT_ASSETS, AssetsError, fetch_assets, missing_assets
from gateway.logs import configure_logging
from gateway.schema_command import add_schema_command
from gateway.serve import CONFIG_ENV, run_serve
from gateway.settings import DEFAULT_CONFIG, load_or_report
from gateway.warm import WarmOptions, run_warm


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="customer-graph", description="A GraphQL gateway over customer REST APIs."
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {importlib.metadata.version('customer-graph')}",
        help="print the version and exit",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the gateway against configured upstreams")
    serve.add_argument(
        "--config", type=Path, default=None, help=f"config file (TOML); default: ${CONFIG_ENV}"
    )
    serve.add_argument("--host", default=None, help="overrides server.host; default: the config's")
    serve.add_argument(
        "--port", type=int, default=None, help="overrides server.port; default: the config's"
    )
    serve.add_argument("--workers", type=int, default=1, help="worker processes; default: 1")
    serve.add_argument(
        "--log-format",
        choices=["json", "console"],
        default=None,
        help="overrides logging.format; default: the config's",
    )
    serve.set_defaults(run=run_serve)

    sandbox = commands.add_parser(
        "sandbox", help="run the sample upstream APIs (four REST, one GraphQL)"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address; default: 127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8100, help="port; default: 8100")
    add_sandbox_options(sandbox)
    sandbox.set_defaults(run=run_sandbox)

    demo = commands.add_parser("demo", help="run the sandbox and the gateway together")
    demo.add_argument(
        "--host", default="127.0.0.1", help="address of both servers; default: 127.0.0.1"
    )
    demo.add_argument("--port", type=int, default=8000, help="gateway port; default: 8000")
    demo.add_argument("--sandbox-port", type=int, default=8100, help="sandbox port; default: 8100")
    add_sandbox_options(demo)
    demo.set_defaults(run=run_demo)

    check = commands.add_parser("check-config", help="validate a config file, report all errors")
    check.add_argument(
        "file",
        type=Path,
        nargs="?",
        default=DEFAULT_CONFIG,
        help=f"config file (TOML); default: {DEFAULT_CONFIG.name}, the sandbox's",
    )
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
    warm.add_argument(
        "--config", type=Path, default=None, help="config file (TOML); default: the sandbox's"
    )
    warm.add_argument(
        "--updated-since",
        type=_aware_datetime,
        default=None,
        metavar="TIME",
        help="only customers changed since this ISO 8601 time; default: all",
    )
    warm.add_argument(
        "--pages", type=_positive, default=None, help="stop after N pages; default: no limit"
    )
    warm.add_argument(
        "--page-size", type=_positive, default=None, help="default: one batch per source"
    )
    warm.add_argument(
        "--after",
        default=None,
        metavar="CURSOR",
        help="resume from a cursor; default: the first page",
    )
    warm.add_argument(
        "--concurrency", type=_positive, default=4, help="pages loading at once; default: 4"
    )
    warm.set_defaults(run=_warm)

    assets = commands.add_parser(
        "graphiql-assets", help="fetch GraphiQL's files from npm (pinned, integrity-checked)"
    )
    assets.add_argument(
        "--config", type=Path, default=None, help="config file (TOML); default: the sandbox's"
    )
    assets.add_argument(
        "--if-missing", action="store_true", help="do nothing when the files are there"
    )
    assets.set_defaults(run=_graphiql_assets)

    add_schema_command(commands)
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


def _check_config(args: argparse.Namespace) -> int:
    configure_logging("console")
    settings = load_or_report(args.file)
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
    settings = load_or_report(args.config)
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


def _graphiql_assets(args: argparse.Namespace) -> int:
    settings = load_or_report(args.config)
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


if __name__ == "__main__":
    raise SystemExit(main())
