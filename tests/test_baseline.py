"""Fingerprints name what is wrong, not where the text sits; baseline files round-trip and fail loudly."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from pathlib import Path

import pytest

from auditor.baseline import BASELINE_SCHEMA, fingerprint, read_baseline, write_baseline
from auditor.errors import UsageError
from auditor.model import DriftDetail, Finding, FindingKind, Location, Severity, Suppression
from tests.findings_fixture import load


def _grant(principal: str = "user:a@example.com", **changes: object) -> Finding:
    finding = Finding(
        rule="human-notebook-admin",
        severity=Severity.HIGH,
        kind=FindingKind.INTENT,
        resource="google_project_iam_member.admin",
        message="user:a@example.com holds roles/notebooks.admin",
        location=Location("infra/iam.tf", 10),
        principal=principal,
        role="roles/notebooks.admin",
    )
    if "field" in changes:  # the drift detail's compared attribute is part of the identity
        field = changes.pop("field")
        changes["drift"] = None if field is None else DriftDetail("declared", "live", field)
    return dataclasses.replace(finding, **changes)


def test_fingerprint_ignores_message_line_and_path() -> None:
    original = _grant()
    moved = _grant(message="reworded entirely", location=Location("other/file.tf", 99), remediation="new text")
    assert fingerprint(moved) == fingerprint(original)
    assert len(fingerprint(original)) == 64


@pytest.mark.parametrize(
    "changes",
    [
        {"principal": "user:b@example.com"},
        {"role": "roles/notebooks.editor"},
        {"resource": "google_project_iam_member.other"},
        {"rule": "basic-role-human"},
        {"field": "machine_type"},
        {"principal": None},
    ],
)
def test_fingerprint_changes_with_identity(changes: dict[str, object]) -> None:
    assert fingerprint(_grant(**changes)) != fingerprint(_grant())


def test_fingerprint_parts_are_unambiguous() -> None:
    # Concatenation would make these equal; the JSON encoding of the parts must not.
    left = _grant(resource="a", principal="b|c")
    right = _grant(resource="a|b", principal="c")
    assert fingerprint(left) != fingerprint(right)
    assert fingerprint(_grant(field="")) != fingerprint(_grant(field=None))


def test_reordering_findings_keeps_fingerprints() -> None:
    findings = list(load().result.findings)
    shuffled = findings[:]
    random.Random(7).shuffle(shuffled)
    assert shuffled != findings
    assert [fingerprint(f) for f in sorted(shuffled, key=fingerprint)] == sorted(fingerprint(f) for f in findings)


def test_baseline_round_trip_and_new_grant_is_new(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    known = [_grant(), _grant(principal="user:b@example.com")]
    assert write_baseline(path, known) == 2
    baseline = read_baseline(path)
    assert baseline == {fingerprint(f) for f in known}

    # Next run: files reordered and messages edited, plus one new grant.
    next_run = [
        _grant(principal="user:b@example.com", message="edited", location=Location("moved.tf", 3)),
        _grant(message="edited too"),
        _grant(principal="user:c@example.com"),
    ]
    new = [f for f in next_run if fingerprint(f) not in baseline]
    assert [f.principal for f in new] == ["user:c@example.com"]


def test_baseline_file_is_readable_and_stable(tmp_path: Path) -> None:
    first, second = tmp_path / "one.json", tmp_path / "two.json"
    findings = [_grant(principal="user:b@example.com"), _grant(), _grant()]  # a duplicate is recorded once
    write_baseline(first, findings)
    write_baseline(second, list(reversed(findings)))
    assert first.read_text() == second.read_text()
    document = json.loads(first.read_text())
    assert document["schema"] == BASELINE_SCHEMA
    assert [entry["principal"] for entry in document["findings"]] == ["user:a@example.com", "user:b@example.com"]
    assert set(document["findings"][0]) == {"fingerprint", "rule", "resource", "principal", "role"}


def test_suppressed_findings_are_not_baselined(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    active = _grant(suppression=Suppression("human-notebook-admin", "reviewed", until=dt.date(2999, 1, 1)))
    expired = _grant(
        principal="user:b@example.com",
        suppression=Suppression("human-notebook-admin", "old", until=dt.date(2000, 1, 1)),
    )
    assert write_baseline(path, [active, expired]) == 1
    assert read_baseline(path) == {fingerprint(expired)}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"schema": "auditor.baseline/v0", "findings": []}', "unsupported baseline schema"),
        ('{"schema": "auditor.baseline/v1"}', "'findings' must be a list"),
        ('{"schema": "auditor.baseline/v1", "findings": [{"rule": "x"}]}', r"findings\[0\]"),
        ('{"schema": "auditor.baseline/v1", "findings": [{"fingerprint": "0x' + "a" * 62 + '"}]}', "fingerprint"),
    ],
)
def test_bad_baseline_is_a_usage_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        read_baseline(path)


def test_missing_baseline_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read baseline"):
        read_baseline(tmp_path / "absent.json")
