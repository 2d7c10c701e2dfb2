"""`auditor access who-can PERMISSION [--on RESOURCE] | what-can PRINCIPAL | matrix [PATH...]`: effective access.

Builds the access graph (auditor/access) from the Terraform under PATH (and the GitHub workflows beside it), or from
the live state with `--project` / `--folder` / `--organization` / `--from-export` and the same endpoint options as
`drift`, and answers: who holds a permission and through which path, what a principal can act as and do, and per
notebook instance who can use it, start/stop it, reconfigure it, delete it, change its IAM, or run code as its account.
Formats: table, json (`"schema": "auditor.access/v1"`), markdown (with a Mermaid graph), dot.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from auditor.report import EXIT_ERROR, EXIT_OK


def register(subparsers: Any) -> None:
    from auditor.audit import add_input_options
    from auditor.commands import add_command
    from auditor.commands.drift import add_live_options

    parser = add_command(subparsers, "access", "who can do what to each notebook, through which chain", __doc__)
    queries = parser.add_subparsers(dest="query", metavar="QUERY", required=True)
    for name, text in (
        ("who-can", "principals that hold PERMISSION (on RESOURCE), and their paths"),
        ("what-can", "identities PRINCIPAL can act as, and its admin-level permissions per scope"),
        ("matrix", "per notebook instance: use, start/stop, reconfigure, delete, change IAM, run code as its account"),
    ):
        query = queries.add_parser(name, help=text, description=text)
        if name == "who-can":
            query.add_argument("permission", metavar="PERMISSION")
            query.add_argument("--on", metavar="RESOURCE", help="a project id, instance, service account email")
        elif name == "what-can":
            query.add_argument("principal", metavar="PRINCIPAL", help="an IAM member (user:a@b.c) or an email")
        add_input_options(query)
        add_live_options(query)
        query.add_argument("--format", choices=("table", "json", "markdown", "dot"), default="table")
        query.add_argument("--output", type=Path, help="write the answer to this file instead of standard output")
        query.add_argument("--config", type=Path, help="config file (default: auditor.toml found above PATH)")
        query.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from auditor.access import render
    from auditor.access.graph import build_graph
    from auditor.access.queries import Queries
    from auditor.audit import write_output
    from auditor.commands.check import read_workflows_beside
    from auditor.config import load_config
    from auditor.errors import UsageError
    from auditor.terraform import load_intent

    config = load_config(args.paths, args.config)
    live = bool(args.project or args.folder or args.organization or args.from_export)
    errors: list[object] = []
    if live:
        intent, errors = _read_live(args)
    else:
        intent = load_intent(args.paths, var_files=args.var_files)
        errors = list(intent.errors)
    workflows, workflow_errors = read_workflows_beside(args.paths)
    errors.extend(workflow_errors)
    graph = build_graph(intent, workflows)
    queries = Queries(graph, config.administrators)
    if args.query == "who-can":
        _check_permission(args.permission, graph)
        if args.on and not queries.resolve(args.on):
            raise UsageError(f"--on {args.on}: no such project, instance or service account in the inputs")
        answer = render.who_can(queries, args.permission, args.on)
    elif args.query == "what-can":
        principal = queries.find_principal(args.principal)
        if principal is None:
            raise UsageError(f"{args.principal}: no such principal in the inputs")
        answer = render.what_can(queries, principal)
    else:
        answer = render.matrix(queries)
    if errors:
        answer["errors"] = [str(e) for e in errors]
        answer["complete"] = False
    text = render.render(answer, graph, args.format)
    write_output(text, args.output, "the answer")
    for error in errors:
        print(f"auditor: {error}", file=sys.stderr)
    return EXIT_ERROR if errors else EXIT_OK


def _check_permission(permission: str, graph: Any) -> None:
    """A permission no tracked role and no declared grant carries would be answered only by the every-permission
    holders (owner-level paths), as if that were the whole answer: say so instead, with the closest names."""
    from auditor.errors import UsageError, did_you_mean
    from auditor.roles.catalog import tracked_permissions

    known = set(tracked_permissions())
    known.update(p for grants in graph.grants.values() for grant in grants for p in grant.permissions)
    if permission in known:
        return
    hint = did_you_mean(permission, known, most=3)
    raise UsageError(
        f"{permission}: not a permission the role catalog tracks or any declared role grants, so the answer would "
        f"list only principals holding every permission{hint}"
    )


def _read_live(args: argparse.Namespace) -> tuple[Any, list[object]]:
    from auditor.live.clients import Endpoints
    from auditor.live.retry import RetryPolicy
    from auditor.live.sources import Scopes, Source, read_live

    state = read_live(
        Scopes.parse(args.organization, args.folder, args.project),
        Source(args.source),
        endpoints=Endpoints.from_env(args.api_endpoint, args.grpc_endpoint),
        retry=RetryPolicy(deadline=args.retry_deadline, attempt_timeout=min(20.0, args.retry_deadline)),
        concurrency=args.concurrency,
        max_rpm=args.max_rpm,
        exports=args.from_export,
        progress=None,
    )
    return state.intent, list(state.errors)
