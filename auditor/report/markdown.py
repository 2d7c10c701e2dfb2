"""The Markdown report: the pull-request comment, the job summary and the drift issue body (`--format markdown`).

Every value from the inputs (resource names, messages, principals, paths) goes through `escape`, which turns
Markdown and HTML syntax into character references, so a resource called `a|b` or `<script>` cannot break the
table or inject markup, and an `@team` in a name cannot notify anyone. The first line is a hidden marker the
GitHub Action and the drift workflow use to find and update their one comment or issue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from urllib.parse import quote

from auditor.model import AuditResult, Finding, Severity
from auditor.report import (
    NO_PROJECT,
    SEVERITIES_WORST_FIRST,
    ProjectGroup,
    ReportOptions,
    RuleInfo,
    Status,
    Summary,
    display_location,
    display_message,
    grouped_by_project,
    ordered_errors,
    ordered_findings,
    remediation_for,
    status,
    summarize,
    suppression_expired,
)

REPORT_MARKER = "<!-- auditor-report -->"
"""First line of every Markdown report; workflows search comments and issues for it."""

MAX_LENGTH = 60_000
"""GitHub refuses comments and issue bodies over 65,536 characters; stay below with room for a footer."""
MAX_ERRORS_SHOWN = 50

# Characters that mean something to Markdown or HTML anywhere in a line. Replaced by numeric character references,
# which GitHub renders as the literal character and never parses as syntax (a `&#124;` does not split a table cell).
_SPECIAL = re.compile(r"[\\`*_\[\]<>#|~&$]")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# An @ that GitHub would read as a mention (not the one inside an email address).
_MENTION = re.compile(r"(?<![0-9A-Za-z])@")


def escape(value: object) -> str:
    """Inline text safe in a table cell, a `<summary>` or a paragraph: one line, no syntax, no mentions."""
    text = _CONTROL.sub("", str(value))
    text = _SPECIAL.sub(lambda match: f"&#{ord(match.group())};", text)
    text = _MENTION.sub("@&#8203;", text)  # a zero-width space after @ stops the mention, keeps the text
    return _NEWLINES.sub("<br>", text)


def _cell(value: object | None) -> str:
    return escape(value) if value not in (None, "") else "—"


def _link(text: str, uri: str | None) -> str:
    if not uri or not uri.startswith(("https://", "http://")):
        return escape(text)
    # Percent-encode everything that could end the link destination or the table cell.
    return f"[{escape(text)}]({quote(uri, safe=':/?#@!$&+,;=%~')})"


def render(result: AuditResult, options: ReportOptions | None = None) -> str:
    options = options or ReportOptions()
    rules, repo_root, baseline, fail_on = options.rules, options.repo_root, options.baseline, options.fail_on
    rules = rules or {}
    summary = summarize(result, fail_on=fail_on, baseline=baseline)
    findings = ordered_findings(result.findings)
    head = [REPORT_MARKER, f"## {_headline(summary)}", ""]
    if result.scanned:
        head += ["Scanned: " + ", ".join(escape(path) for path in result.scanned), ""]
    head += _counts(summary)
    projects = grouped_by_project(result, baseline)
    if projects is not None:
        head += _project_counts(projects)
        # Grouped by project: each project's findings together, worst first within it.
        findings = [finding for group in projects for finding in group.findings]
    head += _errors(result)
    head += _escalation_paths(findings, baseline)

    grouped = projects is not None
    rows = [_row(finding, rules, repo_root, baseline, fail_on, with_project=grouped) for finding in findings]
    details = [_details(finding, rules, repo_root, baseline) for finding in findings]
    body = _fit(head, rows, details, with_project=grouped)
    return "\n".join(body).rstrip("\n") + "\n"


def _escalation_paths(findings: list[Finding], baseline: AbstractSet[str] | None) -> list[str]:
    """The open escalation paths as one Mermaid graph (GitHub draws it in the PR comment); dashed: conditional."""
    paths = [
        f.path for f in findings if f.path and f.rule == "privilege-escalation" and status(f, baseline).value == "open"
    ]
    if not paths:
        return []
    from auditor.access.render import escalation_mermaid

    return ["### Escalation paths", "", "```mermaid", *escalation_mermaid(paths), "```", ""]


def _headline(summary: Summary) -> str:
    """Never reads as clean when anything could not be read."""
    if summary.errors:
        noun = "error" if summary.errors == 1 else "errors"
        return f"⚠️ auditor: INCOMPLETE — {summary.errors} {noun}; these results are partial, not clean"
    if summary.fail_on is not None and summary.failing:
        return f"❌ auditor: {summary.failing} failing (at or above {summary.fail_on.value})"
    if summary.open == 0:
        return "✅ auditor: clean"
    if summary.fail_on is not None:
        return f"✅ auditor: passed — {summary.open} below {summary.fail_on.value}"
    return f"auditor: {summary.open} open"


def _counts(summary: Summary) -> list[str]:
    lines = [
        f"{summary.total} findings: {summary.open} open, {summary.suppressed} suppressed, "
        f"{summary.baselined} baselined.",
        "",
        "| Severity | Open |",
        "|---|---:|",
    ]
    lines += [f"| {severity.value} | {count} |" for severity, count in summary.open_by_severity.items()]
    return [*lines, ""]


def _project_counts(groups: list[ProjectGroup]) -> list[str]:
    """Projects read and open findings per severity per project."""
    severities = [severity.value for severity in SEVERITIES_WORST_FIRST]
    lines = [
        f"Open findings in {len(groups)} project{'' if len(groups) == 1 else 's'}:",
        "",
        "| Project | " + " | ".join(severities) + " |",
        "|---|" + "---:|" * len(severities),
    ]
    for group in groups:
        counts = " | ".join(str(group.open_by_severity[severity]) for severity in SEVERITIES_WORST_FIRST)
        lines.append(f"| {escape(group.project)} | {counts} |")
    return [*lines, ""]


def _errors(result: AuditResult) -> list[str]:
    if result.complete:
        return []
    lines = ["### Errors", "", "The audit could not read everything below; findings may be missing.", ""]
    errors = ordered_errors(result.errors)
    lines += [f"- {escape(error)}" for error in errors[:MAX_ERRORS_SHOWN]]
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"- _and {len(errors) - MAX_ERRORS_SHOWN} more; see the JSON report._")
    return [*lines, ""]


def _state_label(finding: Finding, baseline: AbstractSet[str] | None, fail_on: Severity | None) -> str:
    state = status(finding, baseline)
    if state is Status.OPEN:
        expired = suppression_expired(finding)
        failing = fail_on is not None and finding.severity >= fail_on
        label = "**failing**" if failing else "open"
        return f"{label} (suppression expired)" if expired else label
    return str(state.value)


def _row(
    finding: Finding,
    rules: Mapping[str, RuleInfo],
    repo_root: Path | None,
    baseline: AbstractSet[str] | None,
    fail_on: Severity | None,
    *,
    with_project: bool = False,
) -> str:
    path, line = display_location(finding, repo_root)
    location = f"{path}:{line}" if line else path
    rule = rules.get(finding.rule)
    who = " / ".join(escape(part) for part in (finding.principal, finding.role) if part) or "—"
    cells = [
        finding.severity.value,
        _link(finding.rule, rule.help_uri if rule else None),
        _cell(finding.resource),
        who,
        _cell(location),
        _state_label(finding, baseline, fail_on),
    ]
    if with_project:
        cells.insert(0, escape(finding.project or NO_PROJECT))
    return "| " + " | ".join(cells) + " |"


def _details(
    finding: Finding, rules: Mapping[str, RuleInfo], repo_root: Path | None, baseline: AbstractSet[str] | None
) -> list[str]:
    path, line = display_location(finding, repo_root)
    location = f"{path}:{line}" if line else path
    rule = rules.get(finding.rule)
    summary = f"{finding.severity.value} · {escape(finding.rule)} · {escape(finding.resource)}"
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    if rule is not None:
        lines += [f"**{escape(rule.title)}**", ""]
    lines += [escape(display_message(finding, repo_root)), ""]
    facts = [f"**Location:** {escape(location)}"]
    if finding.principal:
        facts.append(f"**Principal:** {escape(finding.principal)}")
    if finding.role:
        facts.append(f"**Role:** {escape(finding.role)}")
    if finding.drift is not None and finding.drift.field:
        facts.append(
            f"**Drift:** {escape(finding.drift.field)}: declared {_cell(finding.drift.declared)}, "
            f"live {_cell(finding.drift.live)}"
        )
    lines += ["<br>".join(facts), ""]
    remediation = remediation_for(finding, rules)
    if remediation:
        lines += [f"**Remediation:** {escape(remediation)}", ""]
    if finding.suppression is not None:
        suppression = finding.suppression
        expired = suppression_expired(finding)
        verb = "Suppression expired" if expired else "Suppressed"
        until = f" ({'was ' if expired else ''}until {escape(str(suppression.until))})" if suppression.until else ""
        source = f" ({escape(suppression.source)})" if suppression.source else ""
        lines += [f"**{verb}**{until}: {escape(suppression.reason)}{source}", ""]
    if status(finding, baseline) is Status.BASELINED:
        lines += ["**Baselined:** known before; not failing.", ""]
    return [*lines, "</details>", ""]


def _fit(head: list[str], rows: list[str], details: list[list[str]], *, with_project: bool = False) -> list[str]:
    """As many table rows and then details as fit in a GitHub comment; says how many were left out."""
    columns = ["Severity", "Rule", "Resource", "Principal / role", "Location", "Status"]
    if with_project:
        columns.insert(0, "Project")
    table_head = ["### Findings", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    budget = MAX_LENGTH - sum(len(line) + 1 for line in head) - 400  # room for the notes below
    if not rows:
        return head
    shown_rows: list[str] = []
    used = sum(len(line) + 1 for line in table_head)
    for row in rows:
        if used + len(row) + 1 > budget:
            break
        shown_rows.append(row)
        used += len(row) + 1
    body = [*head, *table_head, *shown_rows]
    if len(shown_rows) < len(rows):
        body += ["", f"_{len(rows) - len(shown_rows)} more findings not shown; see the JSON or SARIF report._"]
    body.append("")
    shown_details = 0
    for block in details[: len(shown_rows)]:
        size = sum(len(line) + 1 for line in block)
        if used + size > budget:
            break
        body += block
        used += size
        shown_details += 1
    if shown_details < len(shown_rows):
        body.append(f"_Details of {len(shown_rows) - shown_details} findings not shown; see the JSON report._")
    return body
