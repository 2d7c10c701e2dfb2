"""Grant verdicts -> findings: the words and severities, kept apart from the comparison that decides them."""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from auditor.drift.grants import GrantVerdict, Verdict
from auditor.drift.rules import DriftRule, drift_finding
from auditor.hierarchy import project_of
from auditor.model import Authority, Binding, DriftDetail, Finding, Principal, Severity, Unresolved

LiveViolations = Callable[[Binding, Principal], Severity | None]
"""The worst severity among the policies a live grant (binding, member) fails, or None when it fails none."""


def grant_finding(verdict: GrantVerdict, live_violations: LiveViolations) -> Finding | None:
    """The finding for a verdict; None for the verdicts that are not findings (declared, possibly declared)."""
    grant, at = verdict.grant, verdict.at
    who, role, condition = _describe(grant.principal), grant.role, grant.condition
    match verdict.verdict:
        case Verdict.DECLARED | Verdict.POSSIBLY_DECLARED:
            return None
        case Verdict.UNMANAGED:
            severity = live_violations(grant.binding, grant.principal)
            fails = f"; it fails a {severity.value} policy" if severity else ""
            agent = (
                " Service agents are granted by Google when an API is enabled." if grant.principal.service_agent else ""
            )
            return _finding(
                verdict,
                DriftRule.UNMANAGED_GRANT,
                severity or Severity.INFO,
                f"{who} holds {role} ({_condition_text(condition)}) on {grant.binding.address}, which Terraform does "
                f"not manage{fails}.{agent}",
            )
        case Verdict.UNEXPECTED:
            owns = (
                "the whole IAM policy"
                if at.authority is Authority.POLICY
                else f"the pair ({role}, {_condition_text(condition)})"
            )
            agent = (
                " Removing a service agent's grant can break the Google service that relies on it: declare it."
                if grant.principal.service_agent
                else ""
            )
            return _finding(
                verdict,
                DriftRule.UNEXPECTED_MEMBER,
                Severity.HIGH if live_violations(grant.binding, grant.principal) else Severity.MEDIUM,
                f"{who} holds {role} on {grant.binding.address} live, but {at.address} owns {owns} and does not "
                f"list it: the next apply removes it.{agent}",
            )
        case Verdict.STILL_PRESENT:
            return _finding(
                verdict,
                DriftRule.MISSING_MEMBER,
                Severity.MEDIUM,
                f"{at.address} removes {who} from {role} on {grant.binding.address}, but the grant is still present "
                "live.",
            )
        case Verdict.EXPANSION:
            wanted = ", ".join(f"`{c}`" for c in verdict.declared_conditions)
            live = f"under another condition `{condition}`" if condition else "without a condition"
            return _finding(
                verdict,
                DriftRule.PRIVILEGE_EXPANSION,
                Severity.HIGH,
                f"{who} holds {role} on {grant.binding.address} {live}; {at.address} grants it only under {wanted}.",
                drift=DriftDetail(declared=wanted, live=condition or "(no condition)"),
            )
        case Verdict.MISSING:
            where = grant.scope.describe() if grant.scope else str(at.scope)
            return _finding(
                verdict,
                DriftRule.MISSING_MEMBER,
                Severity.MEDIUM,
                f"{at.address} grants {role} ({_condition_text(condition)}) to {who} on {where}, but the grant is "
                "absent live.",
            )
        case Verdict.UNRESOLVED:
            return _unresolved(verdict)
        case _:
            assert_never(verdict.verdict)


def _unresolved(verdict: GrantVerdict) -> Finding:
    binding = verdict.at
    parts = binding.unresolved or tuple(
        str(value)
        for value in (binding.scope.name, binding.role, *(p.value for p in binding.members))
        if isinstance(value, Unresolved)
    )
    could = f" Live grants it could match: {', '.join(verdict.candidates)}." if verdict.candidates else ""
    return drift_finding(
        DriftRule.UNRESOLVED.value,
        Severity.INFO,
        binding,
        f"Cannot compare {binding.address} with the live policy: declared value unresolved "
        f"({', '.join(parts) or 'unknown'}).{could}",
        role=None if isinstance(binding.role, Unresolved) else binding.role,
    )


def _finding(
    verdict: GrantVerdict,
    rule: DriftRule,
    severity: Severity,
    message: str,
    *,
    drift: DriftDetail | None = None,
) -> Finding:
    return drift_finding(
        rule.value,
        severity,
        verdict.at,
        message,
        principal=verdict.grant.principal.member,
        role=verdict.grant.role,
        drift=drift,
        project=scope.project if (scope := verdict.grant.scope) else project_of(verdict.grant.binding.scope),
    )


def _describe(principal: Principal) -> str:
    if principal.service_agent:
        return f"{principal.member} (Google-managed service agent)"
    return principal.member


def _condition_text(condition: str) -> str:
    return f"condition `{condition}`" if condition else "no condition"
