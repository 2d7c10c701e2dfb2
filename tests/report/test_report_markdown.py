"""Markdown survives hostile values: `|`, backticks, `<script>`, newlines, mentions; headline never lies."""

from __future__ import annotations

import re

import pytest

from auditor.model import AuditResult, Finding, FindingKind, InputError, Location, Severity
from auditor.report import ReportOptions, markdown
from tests.findings_fixture import load

markdown_it = pytest.importorskip("markdown_it")  # installed with rich

HOSTILE = [
    "a|b",
    "`code` and ``double``",
    "<script>alert(1)</script>",
    "line one\nline two\r\nline three",
    "# heading\n* bullet\n> quote",
    "[link](javascript:alert(1))",
    "@platform-team and #12 & &amp; $x$",
    "**bold** _it_ ~~strike~~ \\ backslash",
    "<img src=x onerror=alert(1)>",
]


def _finding(value: str, index: int) -> Finding:
    return Finding(
        rule="human-notebook-admin",
        severity=Severity.HIGH,
        kind=FindingKind.INTENT,
        resource=f"google_project_iam_member.x{index}[{value!r}]{value}",
        message=value,
        location=Location(f"infra/{value}.tf", index + 1),
        principal=f"user:{value}",
        role=value,
        remediation=value,
    )


def _html(text: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(text)


def test_hostile_values_keep_the_table_shape() -> None:
    findings = tuple(_finding(value, index) for index, value in enumerate(HOSTILE))
    text = markdown.render(AuditResult(findings=findings), ReportOptions(fail_on=Severity.HIGH))
    table = [line for line in text.splitlines() if line.startswith("| high | human-notebook-admin")]
    assert len(table) == len(HOSTILE)
    assert all(line.count("|") == 7 for line in table)  # six cells: escaped pipes never split a cell

    html = _html(text)
    findings_table = html.split("<table>")[2]  # the first table holds the counts
    assert findings_table.count("<tr>") == len(HOSTILE) + 1
    assert findings_table.count("<td>") == 6 * len(HOSTILE)
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert 'href="javascript' not in html
    assert "<code>" not in html and "<em>" not in html and "<h1>" not in html and "<blockquote>" not in html
    # The text is still there, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_only_our_own_tags_appear() -> None:
    fixture = load()
    text = markdown.render(fixture.result, ReportOptions(**fixture.options()))
    tags = set(re.findall(r"</?([a-zA-Z!-]+)", text))
    assert tags <= {"details", "summary", "br", "!--"}
    assert "`" not in text


def test_mentions_are_neutralised_but_emails_kept() -> None:
    assert markdown.escape("@team") == "@&#8203;team"
    assert markdown.escape("user:a@example.com") == "user:a@example.com"


def test_marker_is_the_first_line() -> None:
    text = markdown.render(AuditResult(findings=()))
    assert text.splitlines()[0] == markdown.REPORT_MARKER == "<!-- auditor-report -->"


def _headline(result: AuditResult, fail_on: Severity | None = Severity.HIGH) -> str:
    return markdown.render(result, ReportOptions(fail_on=fail_on)).splitlines()[1]


def test_headlines() -> None:
    high = Finding("r", Severity.HIGH, FindingKind.INTENT, "x", "m", Location("a.tf", 1))
    low = Finding("r", Severity.LOW, FindingKind.INTENT, "y", "m", Location("a.tf", 2))
    assert "clean" in _headline(AuditResult(findings=()))
    assert "1 failing" in _headline(AuditResult(findings=(high, low)))
    assert "passed" in _headline(AuditResult(findings=(low,)))
    incomplete = _headline(AuditResult(findings=(), errors=(InputError("a.tf", "bad"),)))
    assert "INCOMPLETE" in incomplete and "clean" not in incomplete.replace("not clean", "")


def test_long_reports_fit_a_github_comment() -> None:
    findings = tuple(
        Finding("r", Severity.HIGH, FindingKind.INTENT, f"google_x.r{i}", "m" * 300, Location("a.tf", i + 1))
        for i in range(2000)
    )
    text = markdown.render(AuditResult(findings=findings), ReportOptions(fail_on=Severity.HIGH))
    assert len(text) < 65_536
    assert "more findings not shown" in text or "not shown" in text
    assert text.count("<details>") == text.count("</details>")


def test_findings_grouped_by_project_with_a_summary_row_per_project_read() -> None:
    from auditor.model import AuditResult, Finding, FindingKind, Location, Severity
    from auditor.report import markdown, terminal

    def finding(project: str | None, severity: Severity, resource: str) -> Finding:
        return Finding("r", severity, FindingKind.LIVE, resource, "m", Location(resource), project=project)

    result = AuditResult(
        (
            finding("b-proj", Severity.HIGH, "projects/b-proj"),
            finding(None, Severity.HIGH, "organizations/1"),
            finding("a-proj", Severity.LOW, "projects/a-proj"),
            finding("b-proj", Severity.MEDIUM, "projects/b-proj/serviceAccounts/x"),
        ),
        projects=("a-proj", "b-proj", "quiet"),
    )
    text = markdown.render(result)
    assert "| a-proj | 0 | 0 | 0 | 1 | 0 |" in text
    assert "| b-proj | 0 | 1 | 1 | 0 | 0 |" in text
    assert "| quiet | 0 | 0 | 0 | 0 | 0 |" in text  # read, nothing found: still listed
    rows = [line for line in text.splitlines() if line.startswith("| ") and "](" not in line and "| r |" in line]
    assert [row.split(" | ")[0] for row in rows] == ["| a-proj", "| b-proj", "| b-proj", "| (no project)"]
    plain = terminal.render(result)
    assert plain.index("PROJECT a-proj") < plain.index("PROJECT b-proj") < plain.index("PROJECT (no project)")
    assert "PROJECT quiet (0)" in plain


def test_many_escalation_paths_still_fit_a_github_comment_and_leave_room_for_findings() -> None:
    """600 people each with their own escalation path: the Mermaid graph alone was 72 KB (over GitHub's 65,536
    limit, and over Mermaid's own 50,000-character diagram limit) and pushed every finding row out."""
    findings = tuple(
        Finding(
            "privilege-escalation",
            Severity.CRITICAL,
            FindingKind.INTENT,
            f"google_project_iam_member.m{i}",
            "m",
            Location("main.tf", i + 1),
            path=(
                {
                    "from": f"user:person{i}-with-a-long-name@example.com",
                    "to": f"sa-{i}@project.iam.gserviceaccount.com",
                    "technique": "sa-token",
                    "address": f"google_service_account_iam_member.token_creator_{i}",
                    "location": f"main.tf:{i + 1}",
                    "condition": None,
                },
            ),
        )
        for i in range(600)
    )
    text = markdown.render(AuditResult(findings=findings), ReportOptions(fail_on=Severity.HIGH))
    assert len(text) < 65_536
    chart = text.split("```mermaid", 1)[1].split("```", 1)[0]
    assert 0 < len(chart) < 50_000
    assert "escalation paths not drawn" in text
    assert text.count("| critical |") >= 50  # the findings table still shows rows
