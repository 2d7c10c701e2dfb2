"""The terminal report: literal values, grouping worst first, dimmed suppressed findings, INCOMPLETE loudly."""

from __future__ import annotations

import datetime as dt

from auditor.model import AuditResult, Finding, FindingKind, Location, ReadError, Severity, Suppression
from auditor.report import ReportOptions, terminal
from tests.findings_fixture import load


def _finding(severity: Severity, resource: str, **extra: object) -> Finding:
    return Finding("r", severity, FindingKind.INTENT, resource, "message", Location("a.tf", 1), **extra)


def test_markup_in_values_prints_literally() -> None:
    text = terminal.render(AuditResult(findings=(_finding(Severity.HIGH, "[bold]x[/bold] [red]y"),)))
    assert "[bold]x[/bold] [red]y" in text
    assert "\x1b" not in text  # no colour unless asked


def test_control_characters_are_shown_escaped() -> None:
    text = terminal.render(AuditResult(findings=(_finding(Severity.HIGH, "evil\x1b[2J\nname"),)))
    assert "\x1b" not in text
    assert "evil\\x1b[2J\\nname" in text


def test_groups_worst_first_and_summary_last() -> None:
    findings = (_finding(Severity.LOW, "low_one"), _finding(Severity.CRITICAL, "crit_one"))
    text = terminal.render(AuditResult(findings=findings), ReportOptions(fail_on=Severity.HIGH))
    assert text.index("CRITICAL (1)") < text.index("crit_one") < text.index("LOW (1)") < text.index("low_one")
    last = text.rstrip().splitlines()[-1]
    assert last.startswith("2 findings, 1 failing at or above high")


def test_suppressed_is_dimmed_and_labelled() -> None:
    suppressed = _finding(Severity.HIGH, "quiet", suppression=Suppression("r", "reviewed", until=dt.date(2999, 1, 1)))
    text = terminal.render(AuditResult(findings=(suppressed,)), ReportOptions(color=True))
    line = next(line for line in text.splitlines() if "quiet" in line)
    assert "\x1b[2" in line  # the dim attribute
    assert "suppressed" in terminal.render(AuditResult(findings=(suppressed,)))


def test_incomplete_is_loud_and_never_clean() -> None:
    result = AuditResult(findings=(), errors=(ReadError("projects.getIamPolicy", "projects/p", "denied", "x.y"),))
    text = terminal.render(result)
    assert text.startswith("INCOMPLETE")
    assert "Clean" not in text
    assert "projects.getIamPolicy projects/p: denied (needs x.y)" in text
    assert "Clean." in terminal.render(AuditResult(findings=()))


def test_fixture_lines_fit_the_width() -> None:
    fixture = load()
    text = terminal.render(fixture.result, ReportOptions(**fixture.options(), width=80))
    assert max(len(line) for line in text.splitlines()) <= 80
