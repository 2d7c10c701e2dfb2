"""The shared pieces every reporter relies on: exit codes, finding status, counts, ordering, relative paths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.baseline import fingerprint
from auditor.errors import UsageError
from auditor.model import (
    AuditResult,
    Finding,
    FindingKind,
    InputError,
    Location,
    ReadError,
    Severity,
    Suppression,
)
from auditor.report import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    FORMATS,
    Status,
    display_location,
    exit_code,
    grouped_by_project,
    ordered_findings,
    render_report,
    repo_relative,
    status,
    summarize,
)
from tests.findings_fixture import load


def _finding(severity: Severity = Severity.HIGH, **changes: object) -> Finding:
    finding = Finding(
        rule="human-notebook-admin",
        severity=severity,
        kind=FindingKind.INTENT,
        resource=f"google_project_iam_member.{severity.value}",
        message="m",
        location=Location("main.tf", 1),
        principal="user:a@example.com",
        role="roles/notebooks.admin",
    )
    return dataclasses.replace(finding, **changes)


def test_exit_code_findings_at_or_above_fail_on() -> None:
    result = AuditResult(findings=(_finding(Severity.MEDIUM),))
    assert exit_code(result, Severity.HIGH) == EXIT_OK
    assert exit_code(result, Severity.MEDIUM) == EXIT_FINDINGS
    assert exit_code(result, Severity.LOW) == EXIT_FINDINGS
    assert exit_code(AuditResult(findings=()), Severity.INFO) == EXIT_OK


def test_exit_code_ignores_suppressed_and_baselined_but_not_expired() -> None:
    suppressed = _finding(suppression=Suppression("human-notebook-admin", "ok", until=dt.date(2999, 1, 1)))
    expired = _finding(suppression=Suppression("human-notebook-admin", "old", until=dt.date(2000, 1, 1)))
    baselined = _finding(Severity.CRITICAL)
    assert exit_code(AuditResult(findings=(suppressed,)), Severity.HIGH) == EXIT_OK
    assert exit_code(AuditResult(findings=(expired,)), Severity.HIGH) == EXIT_FINDINGS
    only_baselined = AuditResult(findings=(baselined,))
    assert exit_code(only_baselined, Severity.HIGH) == EXIT_FINDINGS
    assert exit_code(only_baselined, Severity.HIGH, {fingerprint(baselined)}) == EXIT_OK
    assert exit_code(only_baselined, Severity.HIGH, frozenset({fingerprint(baselined)})) == EXIT_OK


@pytest.mark.parametrize(
    "error",
    [InputError("broken.tf", "unexpected token", 3, 1), ReadError("projects.getIamPolicy", "projects/p", "denied")],
)
def test_incomplete_audit_exits_2_even_when_clean(error: InputError | ReadError) -> None:
    assert exit_code(AuditResult(findings=(), errors=(error,)), Severity.CRITICAL) == EXIT_ERROR
    assert exit_code(AuditResult(findings=(_finding(),), errors=(error,)), Severity.INFO) == EXIT_ERROR


def test_status_suppression_wins_over_baseline() -> None:
    finding = _finding(suppression=Suppression("human-notebook-admin", "ok"))
    assert status(finding, {fingerprint(finding)}) is Status.SUPPRESSED
    assert status(_finding(), {fingerprint(_finding())}) is Status.BASELINED
    assert status(_finding(), None) is Status.OPEN


def test_summary_counts_the_fixture() -> None:
    fixture = load()
    summary = summarize(fixture.result, fail_on=fixture.fail_on, baseline=fixture.baseline)
    assert (summary.total, summary.open, summary.suppressed, summary.baselined) == (9, 6, 2, 1)
    assert summary.failing == 3  # critical public principal, high admin grant, high with expired suppression
    assert summary.open_by_severity[Severity.HIGH] == 2
    assert list(summary.open_by_severity) == [
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.LOW,
        Severity.INFO,
    ]
    assert summarize(fixture.result).failing is None


def test_ordering_is_deterministic_and_worst_first() -> None:
    findings = list(load().result.findings)
    shuffled = findings[:]
    random.Random(3).shuffle(shuffled)
    ordered = ordered_findings(shuffled)
    assert ordered == ordered_findings(findings)
    ranks = [f.severity.rank for f in ordered]
    assert ranks == sorted(ranks, reverse=True)


def test_repo_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    (root / "infra").mkdir(parents=True)
    assert repo_relative(str(root / "infra" / "main.tf"), root) == "infra/main.tf"
    monkeypatch.chdir(root / "infra")
    assert repo_relative("main.tf", root) == "infra/main.tf"  # relative to the working directory
    assert repo_relative(str(tmp_path / "elsewhere.tf"), root) is None
    assert repo_relative("main.tf", None) is None


def test_live_locations_are_not_treated_as_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    live = _finding(kind=FindingKind.LIVE, location=Location("projects/p/serviceAccounts/x"))
    assert display_location(live, tmp_path.parent) == ("projects/p/serviceAccounts/x", None)
    intent = _finding(location=Location("main.tf", 4))
    assert display_location(intent, tmp_path.parent) == (f"{tmp_path.name}/main.tf", 4)


def test_render_report_dispatches_every_format() -> None:
    fixture = load()
    for name in FORMATS:
        assert render_report(name, fixture.result, **fixture.options())
    with pytest.raises(UsageError, match="unknown report format"):
        render_report("xml", fixture.result)


def test_machine_formats_import_neither_rich_nor_google(repo_root: Path) -> None:
    code = (
        "import sys, auditor.report.json_report, auditor.report.sarif, auditor.report.markdown, auditor.baseline;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'google', 'grpc'}))"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "[]"


def test_suppression_expiry_is_judged_on_the_report_date() -> None:
    """Suppression.until is a date; whether it expired is decided when reporting, not frozen when it was attached."""
    from auditor.report import Status, status

    finding = _finding(suppression=Suppression("human-notebook-admin", "ok", until=dt.date(2026, 6, 30)))
    assert status(finding, today=dt.date(2026, 6, 30)) is Status.SUPPRESSED  # works through its last day
    assert status(finding, today=dt.date(2026, 7, 1)) is Status.OPEN
    on_time = AuditResult(findings=(finding,), today=dt.date(2026, 6, 1))
    late = AuditResult(findings=(finding,), today=dt.date(2026, 7, 1))
    assert exit_code(on_time, Severity.HIGH) == 0 and exit_code(late, Severity.HIGH) == EXIT_FINDINGS


@pytest.mark.parametrize("today", [dt.date(2026, 6, 1), dt.date(2026, 7, 1)])
def test_every_format_judges_expiry_on_the_result_date(today: dt.date) -> None:
    """The per-finding status, the expired mark and the per-project counts use the result's date, as the summary and
    the exit code do: one report never calls the same finding suppressed in its counts and open in its list."""
    import json

    suppression = Suppression("human-notebook-admin", "ok", until=dt.date(2026, 6, 30))
    finding = dataclasses.replace(_finding(suppression=suppression), project="p")
    result = AuditResult(findings=(finding,), projects=("p",), today=today)
    expired = today > suppression.until
    assert summarize(result).suppressed == (0 if expired else 1)
    (group,) = grouped_by_project(result) or []
    assert group.open_by_severity[Severity.HIGH] == (1 if expired else 0)

    (entry,) = json.loads(render_report("json", result))["findings"]
    assert entry["suppressed"] is not expired
    assert entry["suppression"]["expired"] is expired

    (sarif_result,) = json.loads(render_report("sarif", result))["runs"][0]["results"]
    assert ("suppressions" in sarif_result) is not expired
    assert ("expiredSuppression" in sarif_result["properties"]) is expired

    markdown = render_report("markdown", result)
    terminal = render_report("table", result)
    for text in (markdown, terminal):
        assert ("suppression expired" in text) is expired
