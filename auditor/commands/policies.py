"""`auditor policies`: list the rules of the registry: the policies a check runs (built-in plus `--policies DIR`)
and the drift rules `auditor drift` reports."""

from __future__ import annotations

import argparse
import json
import sys

from auditor.report.escape import terminal_safe


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("policies", help="list the policies (built-in and --policies DIR)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    from auditor.audit import add_policies_option

    add_policies_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from auditor.audit import write_output
    from auditor.policy import load_policies

    policies = load_policies(args.policies)
    if args.format == "json":
        document = {
            "schema": "auditor.policies/v1",
            "policies": [
                {
                    "id": p.id,
                    "title": p.title,
                    "severity": p.severity.value,
                    "kind": p.kind.value,
                    "subject": p.subject.value if p.subject else None,
                    "builtin": p.builtin,
                    "condition": p.condition or None,
                    "source": p.source,
                }
                for p in policies
            ],
        }
        write_output(json.dumps(document, indent=2) + "\n", None, "the policies")
        return 0

    rows = [
        tuple(
            terminal_safe(cell)
            for cell in (p.id, p.severity.value, p.subject.value if p.subject else "(drift)", p.title)
        )
        for p in policies
    ]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table()
        table.add_column("id", no_wrap=True)  # an id is what `explain` takes: never cut it
        table.add_column("severity", no_wrap=True)
        table.add_column("subject", no_wrap=True)
        table.add_column("title")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))  # Text: team-written titles are not rich markup
        Console().print(table)
    else:
        widths = [max(len(row[i]) for row in rows) for i in range(3)] if rows else [0, 0, 0]
        lines = (
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
            for row in rows
        )
        write_output("".join(line + "\n" for line in lines), None, "the policies")
    return 0
