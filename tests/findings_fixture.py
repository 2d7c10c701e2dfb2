"""Loads `tests/fixtures/findings.json`, the one findings fixture every reporter's tests render."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.baseline import fingerprint
from auditor.model import (
    AuditResult,
    DriftDetail,
    Finding,
    FindingKind,
    InputError,
    Location,
    ReadError,
    Severity,
    Suppression,
)
from auditor.report import RuleInfo

FIXTURE = Path(__file__).parent / "fixtures" / "findings.json"


@dataclass(frozen=True)
class ReportFixture:
    result: AuditResult
    rules: Mapping[str, RuleInfo]
    baseline: frozenset[str]
    fail_on: Severity
    repo_root: Path

    def options(self) -> dict[str, Any]:
        """The `ReportOptions` fields (and `render_report` keyword arguments) of this fixture."""
        return {
            "rules": self.rules,
            "repo_root": self.repo_root,
            "baseline": self.baseline,
            "fail_on": self.fail_on,
        }


def load(path: Path = FIXTURE) -> ReportFixture:
    document = json.loads(path.read_text(encoding="utf-8"))
    findings = [_finding(entry) for entry in document["findings"]]
    baselined = [
        finding for finding, entry in zip(findings, document["findings"], strict=True) if entry.get("baselined")
    ]
    return ReportFixture(
        result=AuditResult(
            findings=tuple(findings),
            errors=tuple(_error(entry) for entry in document["errors"]),
            scanned=tuple(document["scanned"]),
        ),
        rules={entry["id"]: _rule(entry) for entry in document["rules"]},
        baseline=frozenset(fingerprint(finding) for finding in baselined),
        fail_on=Severity.parse(document["fail_on"]),
        repo_root=Path(document["repo_root"]),
    )


def _finding(entry: Mapping[str, Any]) -> Finding:
    suppression = entry.get("suppression")
    return Finding(
        rule=entry["rule"],
        severity=Severity.parse(entry["severity"]),
        kind=FindingKind(entry["kind"]),
        resource=entry["resource"],
        message=entry["message"],
        location=Location(entry["location"]["path"], entry["location"].get("line")),
        principal=entry.get("principal"),
        role=entry.get("role"),
        remediation=entry.get("remediation", ""),
        drift=DriftDetail(entry["declared"], entry["live"], entry.get("field")) if "declared" in entry else None,
        suppression=_suppression(suppression) if suppression else None,
    )


def _suppression(entry: Mapping[str, Any]) -> Suppression:
    """`expired` in the fixture documents what a report judges from `until`; the model computes it when reporting."""
    until = dt.date.fromisoformat(entry["until"]) if entry.get("until") else None
    return Suppression(entry["policy_id"], entry["reason"], until=until, source=entry.get("source", ""))


def _error(entry: Mapping[str, Any]) -> InputError | ReadError:
    if "call" in entry:
        return ReadError(**entry)
    return InputError(**entry)


def _rule(entry: Mapping[str, Any]) -> RuleInfo:
    return RuleInfo(
        id=entry["id"],
        title=entry["title"],
        severity=Severity.parse(entry["severity"]),
        rationale=entry.get("rationale", ""),
        remediation=entry.get("remediation", ""),
        help_uri=entry.get("help_uri"),
    )
