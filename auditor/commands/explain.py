"""`auditor explain RULE-ID`: what a rule (policy or drift rule) checks, why, and how to fix a finding."""

from __future__ import annotations

import argparse
import textwrap

from auditor.errors import UsageError, did_you_mean
from auditor.report.escape import terminal_safe


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("explain", help="explain one rule: condition, rationale, remediation")
    parser.add_argument("policy_id", metavar="POLICY-ID")
    from auditor.audit import add_policies_option

    add_policies_option(parser)
    parser.set_defaults(run=run)


def _paragraph(text: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=100, initial_indent="  ", subsequent_indent="  ")


def run(args: argparse.Namespace) -> int:
    from auditor.audit import write_output
    from auditor.policy import load_policies

    policies = {p.id: p for p in load_policies(args.policies)}
    policy = policies.get(args.policy_id)
    if policy is None:
        hint = did_you_mean(args.policy_id, policies, most=3) or " (`auditor policies` lists them)"
        raise UsageError(f"no policy with id {args.policy_id!r}{hint}")

    lines = [f"{policy.id}: {policy.title}", "", f"severity:  {policy.severity.value}"]
    if policy.subject is None:
        lines += [
            "kind:      drift (judged by `auditor drift`, comparing the live project with the Terraform)",
            f"source:    {policy.source}",
        ]
    else:
        lines += [
            f"subject:   {policy.subject.value} (variables: docs/policy-variables.md)",
            f"source:    {policy.source}",
            "",
            "condition (CEL, true = violation):",
            textwrap.indent(policy.condition, "  "),
        ]
    lines += ["", "rationale:", _paragraph(policy.rationale), "", "remediation:", _paragraph(policy.remediation)]
    if policy.references:
        lines += ["", "references:", *(f"  {url}" for url in policy.references)]
    if policy.builtin:
        from auditor.policy.docs import help_uri

        lines += ["", f"documentation: {help_uri(policy.id)}"]
    # Team policy files are input like any other: their text never drives the terminal.
    write_output("".join(terminal_safe(line, one_line=False) + "\n" for line in lines), None, "the policy")
    return 0
