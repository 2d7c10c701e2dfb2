"""The JSON report: schema, structure of findings and errors, baselined and suppressed state."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.baseline import fingerprint
from auditor.model import AuditResult
from auditor.report import ReportOptions, json_report
from tests.findings_fixture import load


def _report() -> dict:
    fixture = load()
    return json.loads(json_report.render(fixture.result, ReportOptions(**fixture.options())))


def test_top_level_and_summary() -> None:
    report = _report()
    assert report["schema"] == "auditor.report/v1"
    assert report["complete"] is False
    assert report["summary"]["fail_on"] == "high"
    assert report["summary"]["failing"] == 3
    assert report["summary"]["open_by_severity"] == {"critical": 1, "high": 2, "medium": 2, "low": 0, "info": 1}


def test_findings_carry_every_interface_field() -> None:
    fixture = load()
    findings = _report()["findings"]
    required = {"rule", "severity", "kind", "resource", "principal", "role", "message", "location", "suppressed"}
    required |= {"remediation", "fingerprint", "baselined"}
    assert all(required <= set(entry) for entry in findings)
    by_resource = {(entry["rule"], entry["resource"]): entry for entry in findings}
    admin = by_resource[("human-notebook-admin", "google_project_iam_member.alice_admin")]
    assert admin["suppressed"] is True
    assert admin["suppression"] == {
        "reason": "break-glass account, reviewed by security",
        "until": "2099-12-31",
        "expired": False,
        "source": "/repo/infra/iam.tf:39",
    }
    expired = by_resource[("human-notebook-admin", "google_project_iam_member.bob_admin")]
    assert expired["suppressed"] is False and expired["suppression"]["expired"] is True
    drift = by_resource[("drift-instance-config", "google_workbench_instance.research")]
    assert (drift["kind"], drift["field"], drift["declared"], drift["live"]) == (
        "drift",
        "machine_type",
        "n2-standard-4",
        "a2-highgpu-1g",
    )
    assert "field" not in by_resource[("notebook-public-ip", "google_workbench_instance.research")]
    assert by_resource[("public-principal", "google_project_iam_member.public")]["location"] == {
        "path": "infra/iam.tf",
        "line": 12,
    }
    baselined = [entry for entry in findings if entry["baselined"]]
    assert [entry["fingerprint"] for entry in baselined] == sorted(fixture.baseline)
    assert {entry["fingerprint"] for entry in findings} == {fingerprint(f) for f in fixture.result.findings}


def test_errors_are_structured() -> None:
    errors = _report()["errors"]
    assert errors[0] == {
        "type": "input",
        "path": "/repo/infra/broken.tf",
        "line": 3,
        "column": 7,
        "message": "unexpected token '}'",
        "text": "/repo/infra/broken.tf:3:7: unexpected token '}'",
    }
    assert errors[1]["type"] == "read"
    assert errors[1]["permission"] == "iam.serviceAccounts.getIamPolicy"


def test_clean_report_is_complete() -> None:
    report = json.loads(json_report.render(AuditResult(findings=())))
    assert report["complete"] is True
    assert report["findings"] == [] and report["errors"] == []
    assert report["summary"]["failing"] is None


@settings(max_examples=200, deadline=None)
@given(
    document=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    )
)
def test_indented_json_is_the_standard_library_text(document: object) -> None:
    assert json_report.indented_json(document) == json.dumps(document, indent=2, ensure_ascii=False)


def test_indented_json_leaves_other_values_to_the_standard_library() -> None:
    for document in ({1: "a"}, [float("nan")], {"a": (1, 2)}):
        assert json_report.indented_json(document) == json.dumps(document, indent=2, ensure_ascii=False)
