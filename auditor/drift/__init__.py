"""Drift: the live state compared with the Terraform intent.

Sits after both sources in the pipeline: it reads two `Intent`s (declared from Terraform, live from a reader) and
the read's `Coverage`, and yields findings of kind `drift`. It reads neither the cloud nor Terraform and never
imports the Google libraries. `keys` makes both sides' names comparable, `coverage` says where an absence means
something, `grants` and `instances` decide verdicts, `grant_findings` and `instance_findings` word them.
"""

from __future__ import annotations

from auditor.drift.coverage import Audited, inferred
from auditor.drift.grant_findings import LiveViolations, grant_finding
from auditor.drift.grants import compare_grants
from auditor.drift.instance_findings import instance_finding
from auditor.drift.instances import compare_instances, missing_instances
from auditor.drift.keys import Canon
from auditor.drift.rules import (
    CUSTOM_ROLE,
    INSTANCE_CONFIG,
    MISSING_INSTANCE,
    MISSING_MEMBER,
    PRIVILEGE_EXPANSION,
    UNEXPECTED_MEMBER,
    UNMANAGED_GRANT,
    UNMANAGED_INSTANCE,
    UNRESOLVED,
    DriftRule,
)
from auditor.live.coverage import Coverage
from auditor.model import Finding, Intent

__all__ = [
    "CUSTOM_ROLE",
    "INSTANCE_CONFIG",
    "MISSING_INSTANCE",
    "MISSING_MEMBER",
    "PRIVILEGE_EXPANSION",
    "UNEXPECTED_MEMBER",
    "UNMANAGED_GRANT",
    "UNMANAGED_INSTANCE",
    "UNRESOLVED",
    "Coverage",
    "DriftRule",
    "LiveViolations",
    "compare",
]


def compare(
    declared: Intent, live: Intent, *, live_violations: LiveViolations, coverage: Coverage | None = None
) -> list[Finding]:
    """Findings of kind `drift` between what Terraform declares and what the live read found, in a stable order.

    `coverage`: what the read covered; declared resources outside it are not compared and nothing is claimed where
    a read failed. None: everything the live state shows (its projects, folders, organization) was read completely.
    """
    canon = Canon((*live.projects, *declared.projects))
    if coverage is None:
        scopes = [canon.scope(b.scope) for b in live.bindings] + [canon.instance(i) for i in live.instances]
        coverage = inferred(live, (k for k in scopes if k is not None))
    audited = Audited(coverage, canon)
    missing = missing_instances(declared.instances, live.instances, canon, audited)
    findings = [
        finding
        for verdict in compare_grants(declared.bindings, live.bindings, canon, audited, missing)
        if (finding := grant_finding(verdict, live_violations)) is not None
    ]
    findings += map(instance_finding, compare_instances(declared.instances, live.instances, canon, audited))
    return sorted(findings, key=_order)


def _order(finding: Finding) -> tuple[str, int, str, str, str, str, str]:
    return (
        finding.location.path,
        finding.location.line or 0,
        finding.rule,
        finding.resource,
        finding.role or "",
        finding.principal or "",
        finding.drift.field or "" if finding.drift else "",
    )
