"""``customer-graph schema``: print the SDL the gateway serves, or check it against a base
SDL for changes that break clients (docs/contracts.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gateway.settings import DEFAULT_CONFIG, Settings, load_or_report
from schema import SchemaChanges, build_schema, schema_changes, schema_sdl

# The file partners generate clients from, at the repository root.
COMMITTED_SDL = "schema.graphql"
REGENERATE = f"customer-graph schema > {COMMITTED_SDL}"


def add_schema_command(commands: Any) -> None:
    """Register ``schema`` among the CLI's subcommands (``commands`` is argparse's
    subparsers action)."""
    command = commands.add_parser(
        "schema",
        help="print the schema's SDL, or list breaking and dangerous changes from a base SDL",
        description="Print the SDL the gateway serves (federation directives included when "
        "[federation] enabled), or with --check compare it with a base SDL; the exit status "
        "is 1 when a change breaks clients written against the base.",
    )
    command.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"config file (TOML); default: {DEFAULT_CONFIG.name}, the sandbox's",
    )
    command.add_argument(
        "--check",
        type=Path,
        default=None,
        metavar="BASE.graphql",
        help="list the changes from this SDL instead of printing; default: print the SDL",
    )
    command.set_defaults(run=run_schema)


def served_sdl(settings: Settings) -> str:
    """The SDL a gateway with ``settings`` serves."""
    return schema_sdl(build_schema(settings.limits, federation=settings.federation))


def run_schema(args: argparse.Namespace) -> int:
    settings = load_or_report(args.config)
    if settings is None:
        return 2
    sdl = served_sdl(settings)
    if args.check is None:
        sys.stdout.write(sdl)
        return 0
    try:
        changes = schema_changes(args.check.read_text(encoding="utf-8"), sdl)
    except OSError as exc:
        print(f"{args.check}: cannot read ({exc.strerror})", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"{args.check}: {exc}", file=sys.stderr)
        return 2
    print(_report(args.check, changes))
    return 1 if changes.breaking else 0


def _report(base: Path, changes: SchemaChanges) -> str:
    lines = [f"breaking   {c.kind}: {c.description}" for c in changes.breaking]
    lines += [f"dangerous  {c.kind}: {c.description}" for c in changes.dangerous]
    counts = f"{len(changes.breaking)} breaking, {len(changes.dangerous)} dangerous"
    lines.append(f"{counts} change(s) from {base}")
    return "\n".join(lines)
