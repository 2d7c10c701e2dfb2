"""`auditor drift [PATH...] --organization ORG_ID | --folder FOLDER_ID | --project ID`: live state against Terraform.

Reads the live organization, folders or projects through the official Google clients (or the local simulator) --
per-service APIs or Cloud Asset Inventory (`--source`), or Cloud Asset Inventory export files (`--from-export`) --,
runs every policy on the live state (findings of kind `live`), and compares it with the Terraform (findings of kind
`drift`). A read that failed makes the report incomplete: exit 2, never a clean result.

`--source auto` (the default) reads a few projects (up to 5, no folder or organization) through the per-service
APIs and everything else through Cloud Asset Inventory.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from auditor.model import Binding, Finding, FindingKind, Principal, Severity


def register(subparsers: Any) -> None:
    from auditor.audit import add_report_options
    from auditor.commands import add_command

    parser = add_command(subparsers, "drift", "compare the live project with the Terraform intent", __doc__)
    add_report_options(parser)
    add_live_options(parser)
    parser.set_defaults(run=run)


def add_live_options(parser: argparse.ArgumentParser) -> None:
    """The live scopes and sources, shared by `drift` and `access`."""
    from auditor.live.quota import LIST_ASSETS_QUOTA_RPM

    parser.add_argument(
        "--organization", action="append", default=[], metavar="ORG_ID", help="organization to read (repeatable)"
    )
    parser.add_argument(
        "--folder", action="append", default=[], metavar="FOLDER_ID", help="folder to read (repeatable)"
    )
    parser.add_argument("--project", action="append", default=[], metavar="ID", help="project id to read (repeatable)")
    parser.add_argument(
        "--source",
        choices=["auto", "apis", "asset-inventory"],
        default="auto",
        help="per-service APIs, Cloud Asset Inventory, or auto: the APIs for up to 5 projects, "
        "Cloud Asset Inventory for folders, organizations and more projects (default: auto)",
    )
    parser.add_argument(
        "--max-rpm",
        type=int,
        default=LIST_ASSETS_QUOTA_RPM,
        metavar="N",
        help=f"at most N ListAssets requests per minute (default: {LIST_ASSETS_QUOTA_RPM}, the per-project quota)",
    )
    parser.add_argument(
        "--from-export",
        action="append",
        default=[],
        metavar="FILE",
        help="read a Cloud Asset Inventory export (newline-delimited Asset JSON; a path or gs://bucket/object) "
        "instead of the live cloud (repeatable)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, metavar="N", help="independent reads in flight at once (default: 16)"
    )
    parser.add_argument(
        "--retry-deadline",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="give up on a read that keeps failing with 429/503/504 after this long (default: 60)",
    )
    parser.add_argument(
        "--api-endpoint",
        metavar="URL",
        help="REST endpoint of a simulator (or AUDITOR_API_ENDPOINT); anonymous credentials",
    )
    parser.add_argument(
        "--grpc-endpoint",
        metavar="HOST:PORT",
        help="gRPC endpoint of a simulator (or AUDITOR_GRPC_ENDPOINT); plain channel",
    )


def live_option_defaults() -> dict[str, Any]:
    """The values `add_live_options` gives when no option is written (for `demo`, which takes none of them)."""
    parser = argparse.ArgumentParser(add_help=False)
    add_live_options(parser)
    return vars(parser.parse_args([]))


def run(args: argparse.Namespace) -> int:
    from auditor.audit import prepare
    from auditor.live.clients import Endpoints

    if args.concurrency < 1 or args.retry_deadline <= 0 or args.max_rpm < 1:
        from auditor.errors import UsageError

        raise UsageError("--concurrency and --max-rpm must be at least 1 and --retry-deadline above 0")
    setup = prepare(args)
    endpoints = Endpoints.from_env(args.api_endpoint, args.grpc_endpoint)
    return audit_drift(args, setup, endpoints)


def audit_drift(args: argparse.Namespace, setup: Any, endpoints: Any) -> int:
    """The shared body of `drift` and `demo`."""
    import datetime as dt

    from auditor.audit import finish
    from auditor.commands.check import read_workflows_beside
    from auditor.drift import compare
    from auditor.drift.custom_roles import compare_custom_roles, declared_stand_ins
    from auditor.hierarchy import with_projects
    from auditor.live.clients import is_loopback
    from auditor.live.progress import terminal_progress
    from auditor.live.retry import RetryPolicy
    from auditor.live.sources import Scopes, Source, read_live
    from auditor.policy.engine import evaluate
    from auditor.suppressions import carry_suppressions
    from auditor.terraform import load_intent

    for endpoint in (endpoints.api_endpoint, endpoints.grpc_endpoint):
        if endpoint and not is_loopback(endpoint):
            print(
                f"auditor: warning: {endpoint} is not a loopback address, yet calls go out with anonymous "
                "credentials and no TLS",
                file=sys.stderr,
            )
    scopes = Scopes.parse(args.organization, args.folder, args.project)
    declared = load_intent(args.paths, var_files=args.var_files)
    state = read_live(
        scopes,
        Source(args.source),
        endpoints=endpoints,
        retry=RetryPolicy(deadline=args.retry_deadline, attempt_timeout=min(20.0, args.retry_deadline)),
        concurrency=args.concurrency,
        max_rpm=args.max_rpm,
        exports=args.from_export,
        progress=terminal_progress,
    )
    live_intent = state.intent
    read_errors = list(state.errors)
    # The access graph of the live project is judged with the workflows beside the Terraform: an out-of-band grant
    # that opens a path is a live privilege-escalation finding.
    workflows, workflow_errors = read_workflows_beside(args.paths)
    administrators = setup.config.administrators
    for name in state.gone:
        print(f"auditor: note: {name} was deleted while it was being read; it is treated as absent", file=sys.stderr)
    live_findings = evaluate(
        live_intent,
        [p for p in setup.policies if p.subject is None or p.subject.value != "workflow"],
        kind=FindingKind.LIVE,
        custom_roles=[*declared_stand_ins(declared, live_intent, state.coverage), *live_intent.custom_roles],
        workflows=workflows,
        administrators=administrators,
    )
    drift_findings = compare(
        declared,
        live_intent,
        live_violations=_worst_policy(live_findings),
        coverage=state.coverage,
    )
    drift_findings += compare_custom_roles(declared, live_intent, coverage=state.coverage)
    declared_findings = evaluate(declared, setup.policies, workflows=workflows, administrators=administrators)
    live_findings = carry_suppressions(
        declared_findings, live_findings, declared, live_intent, setup.config.ignore, dt.date.today()
    )
    findings = with_projects([*drift_findings, *live_findings])
    return finish(
        args,
        setup,
        findings,
        [*declared.errors, *workflow_errors, *read_errors],
        [*map(str, args.paths), *state.labels],
        projects=state.projects,
    )


def _worst_policy(findings: Sequence[Finding]) -> Any:
    """(binding, principal) -> the worst severity of the live policies that grant fails, or None."""
    worst: dict[tuple[str, str, str], Severity] = {}
    for finding in findings:
        key = (finding.resource, finding.principal or "", finding.role or "")
        if key not in worst or finding.severity.rank > worst[key].rank:
            worst[key] = finding.severity

    def lookup(binding: Binding, principal: Principal) -> Severity | None:
        return worst.get((binding.address, principal.member, str(binding.role)))

    return lookup
