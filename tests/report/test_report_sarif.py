"""SARIF 2.1.0: validates against the OASIS schema, and has what GitHub code scanning needs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from auditor.model import AuditResult, Finding, FindingKind, Location, Severity
from auditor.report import ReportOptions, sarif
from tests.findings_fixture import load


@pytest.fixture(scope="module")
def validator(shared: Path) -> jsonschema.protocols.Validator:
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft7Validator(schema)


def _sarif() -> dict:
    fixture = load()
    return json.loads(sarif.render(fixture.result, ReportOptions(**fixture.options())))


def test_fixture_report_validates(validator: jsonschema.protocols.Validator) -> None:
    document = _sarif()
    errors = sorted(validator.iter_errors(document), key=str)
    assert errors == []
    # The validator does check: a region starting at line 0 is refused.
    document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(validator.iter_errors(document))


def test_empty_report_validates(validator: jsonschema.protocols.Validator) -> None:
    document = json.loads(sarif.render(AuditResult(findings=())))
    assert list(validator.iter_errors(document)) == []
    assert document["runs"][0]["results"] == []
    assert document["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_severity_to_level_is_total() -> None:
    levels = {severity: sarif.severity_to_sarif_level(severity) for severity in Severity}
    assert levels == {
        Severity.CRITICAL: "error",
        Severity.HIGH: "error",
        Severity.MEDIUM: "warning",
        Severity.LOW: "note",
        Severity.INFO: "note",
    }


def test_rules_have_help_and_security_severity() -> None:
    rules = {rule["id"]: rule for rule in _sarif()["runs"][0]["tool"]["driver"]["rules"]}
    public = rules["public-principal"]
    assert public["properties"]["security-severity"] == "9.5"
    assert public["defaultConfiguration"]["level"] == "error"
    assert public["helpUri"] == "https://example.com/auditor/policies/public-principal"
    assert "Remove allUsers" in public["help"]["text"] and public["help"]["markdown"]
    # A rule the caller gave no metadata for still gets a descriptor, so ruleIndex always resolves.
    assert rules["unmanaged-grant"]["properties"]["security-severity"] == "0.0"


def test_results_point_at_repository_relative_lines() -> None:
    run = _sarif()["runs"][0]
    descriptors = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert descriptors[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["partialFingerprints"]["auditorFingerprint/v1"]) == 64
        location = result["locations"][0]
        if "physicalLocation" in location:
            assert not location["physicalLocation"]["artifactLocation"]["uri"].startswith("/")
        else:  # a live resource: logical only, never a resource name posing as a file
            assert set(location) == {"logicalLocations"}
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first == {"artifactLocation": {"uri": "infra/iam.tf", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 12}}


def test_live_finding_has_a_logical_location_and_no_file_uri() -> None:
    live = [r for r in _sarif()["runs"][0]["results"] if r["ruleId"] == "unmanaged-grant"][0]
    location = live["locations"][0]
    assert "physicalLocation" not in location  # issue 9: not `projects/...` as a file URI
    assert (
        location["logicalLocations"][0]["fullyQualifiedName"] == "//cloudresourcemanager.googleapis.com/projects/demo"
    )


def test_suppressions_and_baseline_state() -> None:
    results = {(r["ruleId"], r["properties"]["resource"]): r for r in _sarif()["runs"][0]["results"]}
    in_source = results[("human-notebook-admin", "google_project_iam_member.alice_admin")]
    assert in_source["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "break-glass account, reviewed by security (until 2099-12-31)",
        }
    ]
    external = results[("default-compute-service-account", "google_workbench_instance.[bold]x")]
    assert external["suppressions"][0]["kind"] == "external"
    expired = results[("human-notebook-admin", "google_project_iam_member.bob_admin")]
    assert "suppressions" not in expired
    assert results[("default-compute-service-account", "google_workbench_instance.legacy")]["baselineState"] == (
        "unchanged"
    )
    assert results[("public-principal", "google_project_iam_member.public")]["baselineState"] == "new"


def test_paths_with_spaces_are_uri_encoded(tmp_path: Path, validator: jsonschema.protocols.Validator) -> None:
    finding = Finding(
        "notebook-public-ip",
        Severity.MEDIUM,
        FindingKind.INTENT,
        "google_workbench_instance.a",
        "m",
        Location(str(tmp_path / "my infra" / "main.tf"), 2),
    )
    document = json.loads(sarif.render(AuditResult(findings=(finding,)), ReportOptions(repo_root=tmp_path)))
    uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20infra/main.tf"
    assert list(validator.iter_errors(document)) == []


def test_incomplete_run_reports_notifications() -> None:
    invocation = _sarif()["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notifications = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notifications] == ["error", "error"]
    region = notifications[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 7}
