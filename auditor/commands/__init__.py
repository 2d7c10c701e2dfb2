"""One module per CLI command: `register(subparsers)` adds its parser, `run(args) -> int` does the work."""

from __future__ import annotations

import argparse
from typing import Any


def add_command(subparsers: Any, name: str, summary: str, doc: str | None) -> argparse.ArgumentParser:
    """A command's parser: `summary` in the list of commands, the module docstring `doc` as written under `--help`."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=summary, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser
