"""Command-line entry point: parse arguments, hand them to one command module, map the result to an exit code.

Each command is a module in `auditor.commands` with `register(subparsers)` and `run(args) -> int`. Modules
import their heavy dependencies inside `run`, so `auditor check` never pays for the Google client libraries.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from auditor import __version__
from auditor.errors import AuditorError
from auditor.report import EXIT_ERROR

COMMANDS = ("inventory", "check", "policies", "explain", "drift", "simulate", "demo", "notify", "access")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of only the one `argv` names: `auditor check` then imports nothing of
    `drift`, `inventory` or the others (their option defaults can reach for heavier modules)."""
    parser = argparse.ArgumentParser(
        prog="auditor",
        description="Policy-as-code IAM auditor for Vertex AI Workbench notebook instances.",
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = _named_command(argv)
    for name in (named,) if named else COMMANDS:
        try:
            module = importlib.import_module(f"auditor.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"auditor.commands.{name}":
                raise
            continue  # a command not built yet
        module.register(subparsers)
    return parser


def _named_command(argv: Sequence[str] | None) -> str | None:
    """The command `argv` runs when it starts with one (options before it would need every parser)."""
    words = list(argv or ())
    return words[0] if words and words[0] in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(args.run(args))
    except AuditorError as error:
        print(f"auditor: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("auditor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
