"""`auditor inventory PATH...`: print the intent model derived from Terraform (JSON or a table)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from auditor.model import Binding, Intent

SCHEMA = "auditor.inventory/v1"


def register(subparsers: Any) -> None:
    from auditor.audit import add_input_options

    parser = subparsers.add_parser(
        "inventory",
        help="print who may do what, as the Terraform declares it",
        description="Derive the intended IAM, service accounts and notebook instances from Terraform and print them.",
    )
    add_input_options(parser)
    parser.add_argument(
        "--format",
        choices=("json", "table"),
        default=None,
        help="output format (default: table on a terminal, json otherwise)",
    )
    parser.add_argument("--output", type=Path, help="write to this file instead of standard output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from auditor.audit import write_output
    from auditor.terraform import load_intent

    intent = load_intent(args.paths, var_files=args.var_files)
    output_format = args.format or ("table" if sys.stdout.isatty() and not args.output else "json")
    text = render_json(intent) if output_format == "json" else render_table(intent)
    write_output(text, args.output, "the inventory")
    if output_format == "json":
        for error in intent.errors:
            print(f"auditor: {error}", file=sys.stderr)
    return 2 if intent.errors else 0


def _binding(binding: Binding) -> dict[str, Any]:
    from auditor.serialize import to_json

    condition = None
    if binding.condition is not None:
        condition = {"expression": to_json(binding.condition.expression), "title": to_json(binding.condition.title)}
    return {
        "scope": {"kind": binding.scope.kind.value, "name": to_json(binding.scope.name)},
        "role": to_json(binding.role),
        "members": [m.member for m in binding.members],
        "member_identities": {m.member: m.identity for m in binding.members if m.identity},
        "identity": binding.identity,
        "condition": condition,
        "authority": binding.authority.value,
        "unresolved": list(binding.unresolved),
        "address": binding.address,
        "location": to_json(binding.location),
    }


def render_json(intent: Intent) -> str:
    from auditor.serialize import to_json

    document = {
        "schema": SCHEMA,
        "bindings": [_binding(b) for b in intent.bindings],
        "service_accounts": to_json(intent.service_accounts),
        "keys": to_json(intent.keys),
        "instances": to_json(intent.instances),
        "custom_roles": to_json(intent.custom_roles),
        "conflicts": to_json(intent.conflicts),
        "errors": [str(e) for e in intent.errors],
    }
    return json.dumps(document, indent=2) + "\n"


def render_table(intent: Intent) -> str:
    import io

    from rich.console import Console
    from rich.markup import escape as markup_escape
    from rich.table import Table

    from auditor.report.escape import terminal_safe

    def escape(value: str) -> str:
        """Neither rich markup nor terminal control sequences from Terraform values reach the terminal."""
        return markup_escape(terminal_safe(value))

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=sys.stdout.isatty(), width=160)
    bindings = Table(title="IAM bindings", show_lines=False)
    for column in ("scope", "role", "members", "authority", "location"):
        bindings.add_column(column)
    for b in intent.bindings:
        members = ", ".join(m.member for m in b.members)
        if b.condition:
            members += f"  [if {b.condition.expression}]"
        if b.unresolved:
            members += f"  (unresolved: {', '.join(b.unresolved)})"
        bindings.add_row(*(escape(str(v)) for v in (b.scope, b.role, members, b.authority.value, b.location)))
    console.print(bindings)
    instances = Table(title="Notebook instances")
    for column in ("instance", "gen", "machine", "service account", "public ip", "location"):
        instances.add_column(column)
    for i in intent.instances:
        account = f"{i.identity} ({i.service_account})" if i.identity else i.service_account
        values = (i.full_name, i.generation, i.machine_type, account, i.public_ip, i.location)
        instances.add_row(*(escape(str(v)) for v in values))
    console.print(instances)
    accounts = ", ".join(f"{a.identity or a.address} ({a.email})" for a in intent.service_accounts) or "none"
    console.print(f"Service accounts: {escape(accounts)}")
    for conflict in intent.conflicts:
        console.print(f"[red]conflict[/red]: {escape(conflict.message)}")
    for error in intent.errors:
        console.print(f"[red]error[/red]: {escape(str(error))}")
    return buffer.getvalue()
