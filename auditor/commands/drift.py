"""`auditor drift [PATH...] --project ID`: the live project against the Terraform intent.

Reads the live project through the official Google clients (or the local simulator), runs every policy on the live
state (findings of kind `live`), and compares it with the Terraform (findings of kind `drift`). A read that failed
makes the report incomplete: exit 2, never a clean result.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from auditor.model import Binding, Finding, FindingKind, Intent, Principal, Severity


def register(subparsers: Any) -> None:
    from auditor.audit import add_report_options

    parser = subparsers.add_parser(
        "drift",
        help="compare the live project with the Terraform intent",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_report_options(parser)
    add_live_options(parser)
    parser.set_defaults(run=run)


def add_live_options(parser: argparse.ArgumentParser, *, project_required: bool = True) -> None:
    parser.add_argument(
        "--project",
        action="append",
        default=[],
        required=project_required,
        metavar="ID",
        help="project id to read (repeatable)",
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


def run(args: argparse.Namespace) -> int:
    from auditor.audit import prepare
    from auditor.live.clients import Endpoints

    if args.concurrency < 1 or args.retry_deadline <= 0:
        from auditor.errors import UsageError

        raise UsageError("--concurrency must be at least 1 and --retry-deadline above 0")
    setup = prepare(args)
    endpoints = Endpoints.from_env(args.api_endpoint, args.grpc_endpoint)
    return audit_drift(args, setup, endpoints)


def audit_drift(args: argparse.Namespace, setup: Any, endpoints: Any) -> int:
    """The shared body of `drift` and `demo`."""
    from auditor.audit import finish
    from auditor.drift import compare
    from auditor.live.clients import is_loopback
    from auditor.live.progress import terminal_progress
    from auditor.live.reader import read_project
    from auditor.live.retry import RetryPolicy
    from auditor.live.unread import unread_scopes
    from auditor.policy.engine import evaluate
    from auditor.terraform import load_intent

    for endpoint in (endpoints.api_endpoint, endpoints.grpc_endpoint):
        if endpoint and not is_loopback(endpoint):
            print(
                f"auditor: warning: {endpoint} is not a loopback address, yet calls go out with anonymous "
                "credentials and no TLS",
                file=sys.stderr,
            )
    declared = load_intent(args.paths, var_files=args.var_files)
    live_parts, read_errors, unread = [], [], []
    for project in dict.fromkeys(args.project):
        with terminal_progress(f"reading {project}") as progress:
            live = read_project(
                project,
                endpoints=endpoints,
                concurrency=args.concurrency,
                progress=progress,
                retry=RetryPolicy(deadline=args.retry_deadline, attempt_timeout=min(20.0, args.retry_deadline)),
            )
        live_parts.append(live.intent)
        read_errors.extend(live.errors)
        unread.extend(unread_scopes(project, live.errors))
    live_intent = _merge(live_parts)
    live_findings = evaluate(
        live_intent,
        setup.policies,
        kind=FindingKind.LIVE,
        custom_roles=[*declared.custom_roles, *live_intent.custom_roles],
    )
    drift_findings = compare(
        declared,
        live_intent,
        live_violations=_worst_policy(live_findings),
        projects=list(dict.fromkeys(args.project)),
        unread=unread,
    )
    live_findings = _carry_suppressions(evaluate(declared, setup.policies), live_findings, setup)
    findings: list[Finding] = [*drift_findings, *live_findings]
    return finish(
        args,
        setup,
        findings,
        [*declared.errors, *read_errors],
        [*map(str, args.paths), *args.project],
    )


def _carry_suppressions(
    intent_findings: Sequence[Finding], live_findings: Sequence[Finding], setup: Any
) -> list[Finding]:
    """A grant Terraform declares and suppresses with a reason is suppressed live too, with the same reason.

    Otherwise every reasoned exception in the code (the ChatOps account's notebooks.admin, say) would come back
    in each drift report. Matching is by (policy, principal, role): the live finding names the live resource.
    """
    import dataclasses
    import datetime as dt

    from auditor.suppressions import apply_suppressions

    suppressed = apply_suppressions(intent_findings, setup.config.ignore, dt.date.today()).findings
    carried = {(f.rule, f.principal, f.role): f.suppression for f in suppressed if f.suppressed and f.principal}
    out = []
    for finding in live_findings:
        suppression = carried.get((finding.rule, finding.principal, finding.role))
        if suppression is not None and finding.suppression is None:
            finding = dataclasses.replace(finding, suppression=suppression)
        out.append(finding)
    return out


def _merge(parts: Sequence[Intent]) -> Intent:
    return Intent(
        bindings=tuple(b for p in parts for b in p.bindings),
        service_accounts=tuple(a for p in parts for a in p.service_accounts),
        keys=tuple(k for p in parts for k in p.keys),
        instances=tuple(i for p in parts for i in p.instances),
        custom_roles=tuple(r for p in parts for r in p.custom_roles),
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
