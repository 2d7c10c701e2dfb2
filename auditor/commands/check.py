"""`auditor check [PATH...]`: the CI gate. Terraform intent -> policies -> report -> exit code."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    from auditor.audit import add_report_options

    parser = subparsers.add_parser(
        "check",
        help="audit Terraform against the policies (the CI gate)",
        description="Read Terraform (directories and plan JSON files), derive the intended IAM and notebook "
        "instances, evaluate the policies and report. Exit 0: clean; 1: findings at or above --fail-on; "
        "2: input, policy or usage error, or an incomplete audit.",
    )
    add_report_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from auditor.audit import finish, prepare
    from auditor.policy.engine import evaluate
    from auditor.terraform import load_intent

    setup = prepare(args)
    intent = load_intent(args.paths, var_files=args.var_files)
    findings = evaluate(intent, setup.policies)
    return finish(args, setup, findings, intent.errors, [str(p) for p in args.paths])
