"""The Markdown report: the pull-request comment, the job summary and the drift issue body (`--format markdown`).

Every value from the inputs (resource names, messages, principals, paths) goes through `escape`, which turns
Markdown and HTML syntax into character references, so a resource called `a|b` or `<script>` cannot break the
table or inject markup, and an `@team` in a name cannot notify anyone. The first line is a hidden marker the
GitHub Action and the drift workflow use to find and update their one comment or issue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from auditor.model import AuditResult, InputError, ReadError, Severity
from auditor.report import NO_PROJECT, SEVERITIES_WORST_FIRST, ProjectGroup, ReportOptions, RuleInfo, Status, Summary
from auditor.report.view import ShownFinding, report_view, show

REPORT_MARKER = "<!-- auditor-report -->"
"""First line of every Markdown report; workflows search comments and issues for it."""

MAX_LENGTH = 60_000
"""GitHub refuses comments and issue bodies over 65,536 characters; stay below with room for a footer."""
MAX_ERRORS_SHOWN = 50
MAX_CHART_LENGTH = 15_000
"""The escalation graph's share of a comment (Mermaid itself refuses diagrams over 50,000 characters)."""

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
    rules = options.rules or {}
    view = report_view(result, options)
    head = [REPORT_MARKER, f"## {_headline(view.summary)}", ""]
    if result.scanned:
        head += ["Scanned: " + ", ".join(escape(path) for path in result.scanned), ""]
    head += _counts(view.summary)
    if view.projects is not None:
        head += _project_counts(view.projects)
    head += _errors(result, view.errors)
    findings = [show(finding, options, result.today) for finding in view.findings]
    head += _escalation_paths(findings)

    grouped = view.projects is not None
    rows = [_row(finding, rules, options.fail_on, with_project=grouped) for finding in findings]
    details = [_details(finding, rules) for finding in findings]
    body = _fit(head, rows, details, with_project=grouped)
    return "\n".join(body).rstrip("\n") + "\n"


def _escalation_paths(findings: list[ShownFinding]) -> list[str]:
    """The open escalation paths as one Mermaid graph (GitHub draws it in the PR comment); dashed: conditional."""
    paths = [
        shown.finding.path
        for shown in findings
        if shown.finding.path and shown.finding.rule == "privilege-escalation" and shown.status is Status.OPEN
    ]
    if not paths:
        return []
    from auditor.access.render import escalation_mermaid

    def size(chart: list[str]) -> int:
        return sum(len(line) + 1 for line in chart)

    # Hundreds of paths would fill the whole comment (and exceed what Mermaid draws): the first ones, the worst
    # findings first, as many as fit.
    chart = escalation_mermaid(paths)
    drawn = len(paths)
    if size(chart) > MAX_CHART_LENGTH:
        fits, too_many, chart = 0, len(paths), []
        while too_many - fits > 1:
            middle = (fits + too_many) // 2
            candidate = escalation_mermaid(paths[:middle])
            if size(candidate) <= MAX_CHART_LENGTH:
                fits, chart = middle, candidate
            else:
                too_many = middle
        drawn = fits
    lines = ["### Escalation paths", ""]
    if chart:
        lines += ["```mermaid", *chart, "```", ""]
    if drawn < len(paths):
        lines += [f"_{len(paths) - drawn} more escalation paths not drawn; see the findings and the JSON report._", ""]
    return lines


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


def _errors(result: AuditResult, errors: list[InputError | ReadError]) -> list[str]:
    if result.complete:
        return []
    lines = ["### Errors", "", "The audit could not read everything below; findings may be missing.", ""]
    lines += [f"- {escape(error)}" for error in errors[:MAX_ERRORS_SHOWN]]
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"- _and {len(errors) - MAX_ERRORS_SHOWN} more; see the JSON report._")
    return [*lines, ""]


def _state_label(shown: ShownFinding, fail_on: Severity | None) -> str:
    if shown.status is Status.OPEN:
        failing = fail_on is not None and shown.finding.severity >= fail_on
        label = "**failing**" if failing else "open"
        return f"{label} (suppression expired)" if shown.suppression_expired else label
    return str(shown.status.value)


def _row(
    shown: ShownFinding, rules: Mapping[str, RuleInfo], fail_on: Severity | None, *, with_project: bool = False
) -> str:
    finding = shown.finding
    rule = rules.get(finding.rule)
    who = " / ".join(escape(part) for part in (finding.principal, finding.role) if part) or "—"
    cells = [
        finding.severity.value,
        _link(finding.rule, rule.help_uri if rule else None),
        _cell(finding.resource),
        who,
        _cell(shown.place),
        _state_label(shown, fail_on),
    ]
    if with_project:
        cells.insert(0, escape(finding.project or NO_PROJECT))
    return "| " + " | ".join(cells) + " |"


def _details(shown: ShownFinding, rules: Mapping[str, RuleInfo]) -> list[str]:
    finding = shown.finding
    rule = rules.get(finding.rule)
    summary = f"{finding.severity.value} · {escape(finding.rule)} · {escape(finding.resource)}"
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    if rule is not None:
        lines += [f"**{escape(rule.title)}**", ""]
    lines += [escape(shown.message), ""]
    facts = [f"**Location:** {escape(shown.place)}"]
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
    if shown.remediation:
        lines += [f"**Remediation:** {escape(shown.remediation)}", ""]
    suppression = shown.suppression_words(escape)
    if suppression is not None:
        verb, words = suppression
        lines += [f"**{verb.capitalize()}**{words}", ""]
    if shown.status is Status.BASELINED:
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
