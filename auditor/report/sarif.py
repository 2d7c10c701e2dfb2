"""SARIF 2.1.0 for GitHub code scanning (`--format sarif`): annotations on the exact Terraform line.

Intent findings (and drift findings at their declaration) point at the repository-relative file and line; a live
resource (`projects/p`, an instance name) has no file, so such a finding carries a logical location only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any, assert_never
from urllib.parse import quote

from auditor import __version__
from auditor.baseline import fingerprint
from auditor.model import AuditResult, Finding, InputError, ReadError, Severity
from auditor.report import (
    ReportOptions,
    RuleInfo,
    Status,
    display_message,
    in_file,
    ordered_errors,
    ordered_findings,
    remediation_for,
    repo_relative,
    status,
    suppression_expired,
)

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/auditor-project/auditor"
"""The project's home page, required by GitHub's display of the tool; update when the repository moves."""
SOURCE_ROOT = "%SRCROOT%"
FINGERPRINT_KEY = "auditorFingerprint/v1"


def severity_to_sarif_level(severity: Severity) -> str:
    """The one mapping from our severities to SARIF levels (GitHub shows error / warning / note)."""
    match severity:
        case Severity.CRITICAL | Severity.HIGH:
            return "error"
        case Severity.MEDIUM:
            return "warning"
        case Severity.LOW | Severity.INFO:
            return "note"
        case _:
            assert_never(severity)


def security_severity(severity: Severity) -> str:
    """GitHub's `security-severity` score (a CVSS-like number as a string): >= 9 critical, >= 7 high, >= 4 medium."""
    match severity:
        case Severity.CRITICAL:
            return "9.5"
        case Severity.HIGH:
            return "8.0"
        case Severity.MEDIUM:
            return "5.5"
        case Severity.LOW:
            return "3.0"
        case Severity.INFO:
            return "0.0"
        case _:
            assert_never(severity)


def render(result: AuditResult, options: ReportOptions | None = None) -> str:
    options = options or ReportOptions()
    rules, repo_root, baseline, fail_on = options.rules, options.repo_root, options.baseline, options.fail_on
    del fail_on  # SARIF levels do not depend on the gate
    findings = ordered_findings(result.findings)
    descriptors = _rule_descriptors(findings, rules or {})
    rule_index = {descriptor["id"]: index for index, descriptor in enumerate(descriptors)}
    results = [_result(f, rule_index[f.rule], rules or {}, repo_root, baseline, result.today) for f in findings]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "auditor",
                "informationUri": INFORMATION_URI,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": descriptors,
            }
        },
        "invocations": [_invocation(result, repo_root)],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    document = {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _rule_descriptors(findings: list[Finding], rules: Mapping[str, RuleInfo]) -> list[dict[str, Any]]:
    """Descriptors for the rules that have results, sorted by id; unknown rules get a minimal one."""
    descriptors = []
    for rule_id in sorted({finding.rule for finding in findings}):
        rule = rules.get(rule_id)
        if rule is None:
            worst = max(f.severity for f in findings if f.rule == rule_id)
            rule = RuleInfo(id=rule_id, title=rule_id, severity=worst)
        descriptors.append(_descriptor(rule))
    return descriptors


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    help_text = [rule.title]
    help_markdown = [f"**{rule.title}**"]
    if rule.rationale:
        help_text.append(rule.rationale)
        help_markdown.append(rule.rationale)
    if rule.remediation:
        help_text.append(f"Remediation: {rule.remediation}")
        help_markdown.append(f"**Remediation:** {rule.remediation}")
    if rule.help_uri:
        help_text.append(f"Documentation: {rule.help_uri}")
        help_markdown.append(f"[Documentation]({rule.help_uri})")
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal_case(rule.id),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale or rule.title},
        "help": {"text": "\n\n".join(help_text), "markdown": "\n\n".join(help_markdown)},
    }
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
    descriptor["defaultConfiguration"] = {"level": severity_to_sarif_level(rule.severity)}
    descriptor["properties"] = {
        "security-severity": security_severity(rule.severity),
        "tags": ["security", "iam"],
    }
    return descriptor


def _pascal_case(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", rule_id) if part)


def _result(
    finding: Finding,
    rule_index: int,
    rules: Mapping[str, RuleInfo],
    repo_root: Path | None,
    baseline: AbstractSet[str] | None,
    today: dt.date,
) -> dict[str, Any]:
    identity = fingerprint(finding)
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": severity_to_sarif_level(finding.severity),
        "message": {"text": display_message(finding, repo_root) or finding.rule},
        "locations": [_location(finding, repo_root)],
        "partialFingerprints": {FINGERPRINT_KEY: identity},
    }
    if baseline is not None:
        result["baselineState"] = "unchanged" if identity in baseline else "new"
    if status(finding, today=today) is Status.SUPPRESSED and finding.suppression is not None:
        suppression = finding.suppression
        justification = suppression.reason
        if suppression.until:
            justification += f" (until {suppression.until})"
        result["suppressions"] = [
            {"kind": _suppression_kind(finding), "status": "accepted", "justification": justification}
        ]
    properties: dict[str, Any] = {"kind": finding.kind.value, "resource": finding.resource}
    drift = finding.drift
    for name, value in (
        ("principal", finding.principal),
        ("role", finding.role),
        ("field", drift.field if drift else None),
        ("declared", drift.declared if drift else None),
        ("live", drift.live if drift else None),
    ):
        if value is not None:
            properties[name] = value
    remediation = remediation_for(finding, rules)
    if remediation:
        properties["remediation"] = remediation
    if finding.suppression is not None and suppression_expired(finding, today):
        properties["expiredSuppression"] = {
            "reason": finding.suppression.reason,
            "until": str(finding.suppression.until),
            "source": finding.suppression.source,
        }
    result["properties"] = properties
    return result


def _location(finding: Finding, repo_root: Path | None) -> dict[str, Any]:
    if not in_file(finding):
        # A live resource is no file: a logical location only, never `projects/...` posing as a file URI.
        return {"logicalLocations": [{"fullyQualifiedName": finding.location.path, "kind": "resource"}]}
    physical: dict[str, Any] = {"artifactLocation": _artifact(finding.location.path, repo_root)}
    if finding.location.line is not None and finding.location.line >= 1:
        physical["region"] = {"startLine": finding.location.line}
    return {"physicalLocation": physical}


def _artifact(path: str, repo_root: Path | None) -> dict[str, str]:
    relative = repo_relative(path, repo_root)
    if relative is None and os.path.isabs(path):
        return {"uri": Path(path).as_uri()}  # outside the repository: GitHub cannot annotate it anyway
    if relative is None:
        relative = Path(os.path.normpath(path)).as_posix()
    # The file name's own bytes, percent-encoded, even when they are not UTF-8 (surrogate escapes).
    return {"uri": quote(relative, errors="surrogateescape"), "uriBaseId": SOURCE_ROOT}


def _suppression_kind(finding: Finding) -> str:
    """`inSource` for a comment in the finding's own file, `external` for the config file."""
    assert finding.suppression is not None
    source_path = re.sub(r":\d+$", "", finding.suppression.source)
    if source_path and os.path.normpath(source_path) == os.path.normpath(finding.location.path):
        return "inSource"
    return "external"


def _invocation(result: AuditResult, repo_root: Path | None) -> dict[str, Any]:
    """An incomplete audit is an unsuccessful execution, with each error as a notification on GitHub's tool status."""
    notifications = []
    for error in ordered_errors(result.errors):
        notification: dict[str, Any] = {"level": "error", "message": {"text": str(error)}}
        if isinstance(error, InputError):
            physical: dict[str, Any] = {"artifactLocation": _artifact(error.path, repo_root)}
            if error.line is not None and error.line >= 1:
                region: dict[str, int] = {"startLine": error.line}
                if error.column is not None and error.column >= 1:
                    region["startColumn"] = error.column
                physical["region"] = region
            notification["locations"] = [{"physicalLocation": physical}]
        elif isinstance(error, ReadError):
            notification["properties"] = {
                "call": error.call,
                "resource": error.resource,
                "permission": error.permission,
            }
        else:
            assert_never(error)
        notifications.append(notification)
    return {"executionSuccessful": result.complete, "toolExecutionNotifications": notifications}
