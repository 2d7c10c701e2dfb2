"""One rule registry (issue 9): drift rules are YAML files beside the policies, read by config, SARIF, docs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from auditor import drift
from auditor.audit import finish, prepare
from auditor.drift import custom_roles
from auditor.errors import UsageError
from auditor.model import Finding, FindingKind, Location, Severity
from auditor.policy import load_policies
from auditor.policy.schema import RuleKind

DRIFT_IDS = {
    drift.UNEXPECTED_MEMBER,
    drift.UNMANAGED_GRANT,
    drift.MISSING_MEMBER,
    drift.PRIVILEGE_EXPANSION,
    drift.INSTANCE_CONFIG,
    drift.UNMANAGED_INSTANCE,
    drift.MISSING_INSTANCE,
    drift.UNRESOLVED,
    custom_roles.CUSTOM_ROLE,
}


def _args(tmp_path: Path, **overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {
        "paths": [tmp_path],
        "var_files": [],
        "format": "sarif",
        "output": tmp_path / "out" / "report.sarif",
        "fail_on": None,
        "policies": [],
        "config": None,
        "baseline": None,
        "write_baseline": None,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


def _drift_finding(rule: str = drift.UNMANAGED_GRANT) -> Finding:
    return Finding(
        rule=rule,
        severity=Severity.INFO,
        kind=FindingKind.DRIFT,
        resource="projects/acme",
        message="user:x@example.com holds roles/viewer on project acme, which Terraform does not manage",
        location=Location("projects/acme"),
        principal="user:x@example.com",
        role="roles/viewer",
    )


def test_every_drift_rule_the_comparison_emits_is_in_the_registry() -> None:
    rules = {p.id: p for p in load_policies()}
    assert {i for i, p in rules.items() if p.kind is RuleKind.DRIFT} == DRIFT_IDS
    assert all(rules[i].title and rules[i].rationale and rules[i].remediation for i in DRIFT_IDS)


def test_config_may_ignore_and_disable_a_drift_rule(tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text(
        'disable = ["drift-unresolved"]\n'
        '[[ignore]]\npolicy = "unmanaged-grant"\naddress = "projects/acme"\nreason = "granted by the org team"\n'
    )
    setup = prepare(_args(tmp_path))  # used to fail: "unknown policy id(s): drift-unresolved, unmanaged-grant"
    findings = [_drift_finding(), _drift_finding(drift.UNRESOLVED)]
    assert finish(_args(tmp_path), setup, findings, [], ["x"]) == 0
    sarif = json.loads((tmp_path / "out" / "report.sarif").read_text())
    (result,) = sarif["runs"][0]["results"]  # the disabled rule's finding is gone
    assert result["ruleId"] == "unmanaged-grant"
    assert result["suppressions"][0]["justification"] == "granted by the org team"


def test_a_misspelt_drift_rule_in_the_config_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text('disable = ["unmanaged-grants"]\n')
    with pytest.raises(UsageError, match="unmanaged-grants"):
        prepare(_args(tmp_path))


def test_drift_sarif_rules_carry_description_and_remediation(tmp_path: Path) -> None:
    setup = prepare(_args(tmp_path))
    finish(_args(tmp_path), setup, [_drift_finding(drift.PRIVILEGE_EXPANSION)], [], ["x"])
    sarif = json.loads((tmp_path / "out" / "report.sarif").read_text())
    (rule,) = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "drift-privilege-expansion"
    assert rule["shortDescription"]["text"].startswith("Terraform grants the role under a condition")
    assert rule["fullDescription"]["text"].startswith("An IAM condition limits a grant")
    assert "Restore the condition" in rule["help"]["text"]
    assert rule["helpUri"].endswith("/drift-privilege-expansion.md")
    assert rule["defaultConfiguration"]["level"] == "error"
