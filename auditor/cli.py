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

COMMANDS = ("inventory", "check", "policies", "explain", "drift", "simulate", "demo", "notify")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auditor",
        description="Policy-as-code IAM auditor for Vertex AI Workbench notebook instances.",
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"auditor.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"auditor.commands.{name}":
                raise
            continue  # a command not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
