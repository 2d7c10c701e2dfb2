"""The human report (`--format table`, the default on a terminal): findings grouped by severity, worst first.

Values are added as `rich.text.Text` segments, never parsed as markup, so a resource named `[bold]x` prints
literally; terminal control characters in values are shown escaped, so a name cannot move the cursor or recolour
the screen. Without `color`, the output is plain text.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from auditor.model import AuditResult, Finding, Severity
from auditor.report import (
    SEVERITIES_WORST_FIRST,
    ProjectGroup,
    ReportOptions,
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
from auditor.report.escape import terminal_safe

DEFAULT_WIDTH = 100

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "bold yellow",
    Severity.LOW: "bold cyan",
    Severity.INFO: "bold",
}
_clean = terminal_safe


def render(result: AuditResult, options: ReportOptions | None = None) -> str:
    """`options.color` is the caller's decision (stdout is a terminal and NO_COLOR is unset)."""
    options = options or ReportOptions()
    baseline, fail_on, color, width = options.baseline, options.fail_on, options.color, options.width
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )
    summary = summarize(result, fail_on=fail_on, baseline=baseline)
    if not result.complete:
        console.print(_incomplete_banner(summary))
    if result.scanned:
        console.print(Text("scanned: " + ", ".join(_clean(path) for path in result.scanned), style="dim"))
    projects = grouped_by_project(result, baseline)
    if projects is None:
        _by_severity(console, ordered_findings(result.findings), "", options)
    else:
        console.print()
        console.print(_project_table(projects))
        for group in projects:
            console.print()
            console.print(Text(f"PROJECT {_clean(group.project)} ({len(group.findings)})", style="bold underline"))
            _by_severity(console, list(group.findings), "  ", options)
    if result.errors:
        console.print()
        console.print(Text(f"ERRORS ({len(result.errors)})", style="bold red"))
        for error in ordered_errors(result.errors):
            console.print(Padding(Text(_clean(error, one_line=False)), (0, 0, 0, 2), expand=False))
    console.print()
    console.print(_summary_line(summary))
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in output.splitlines()) + "\n"


def _by_severity(console: Console, findings: list[Finding], indent: str, options: ReportOptions) -> None:
    for severity in SEVERITIES_WORST_FIRST:
        group = [finding for finding in findings if finding.severity is severity]
        if not group:
            continue
        console.print()
        console.print(Text(f"{indent}{severity.value.upper()} ({len(group)})", style=_SEVERITY_STYLE[severity]))
        for finding in group:
            rendered = _finding(finding, options)
            console.print(Padding(rendered, (0, 0, 0, len(indent)), expand=False) if indent else rendered)


def _project_table(groups: list[ProjectGroup]) -> Table:
    """Projects read, open findings per severity per project."""
    title = f"open findings in {len(groups)} project{'' if len(groups) == 1 else 's'}"
    table = Table(title=title, title_justify="left", box=box.SIMPLE, show_edge=False)
    table.add_column("project")
    for severity in SEVERITIES_WORST_FIRST:
        table.add_column(severity.value, justify="right")
    for group in groups:
        counts = [str(group.open_by_severity[severity]) for severity in SEVERITIES_WORST_FIRST]
        table.add_row(Text(_clean(group.project)), *counts)
    return table


def _incomplete_banner(summary: Summary) -> Text:
    noun = "error" if summary.errors == 1 else "errors"
    return Text(
        f"INCOMPLETE: {summary.errors} {noun} while reading; the findings below are partial, not a clean result.",
        style="bold white on red",
    )


def _finding(finding: Finding, options: ReportOptions) -> RenderableType:
    rules, repo_root, baseline, fail_on = options.rules, options.repo_root, options.baseline, options.fail_on
    state = status(finding, baseline)
    dim = state is not Status.OPEN
    base = "dim" if dim else ""

    title = Text("  ")
    title.append(_clean(finding.rule), style="dim bold" if dim else "bold")
    title.append("  ")
    title.append(_clean(finding.resource), style=base)
    marker = _marker(finding, state, fail_on)
    if marker:
        title.append(f"  [{marker}]", style="dim italic" if dim else "bold")

    lines: list[Text] = []
    path, line = display_location(finding, repo_root)
    lines.append(Text(f"at {_clean(path)}:{line}" if line else f"at {_clean(path)}", style=base))
    who = []
    if finding.principal:
        who.append(f"principal {_clean(finding.principal)}")
    if finding.role:
        who.append(f"role {_clean(finding.role)}")
    if who:
        lines.append(Text("   ".join(who), style=base))
    if finding.drift is not None and finding.drift.field:
        lines.append(
            Text(
                f"{_clean(finding.drift.field)}: declared {_clean(finding.drift.declared)}, "
                f"live {_clean(finding.drift.live)}",
                style=base,
            )
        )
    lines.append(Text(_clean(display_message(finding, repo_root), one_line=False), style=base))
    remediation = remediation_for(finding, rules)
    if remediation:
        lines.append(Text(f"fix: {_clean(remediation, one_line=False)}", style="dim" if dim else "green"))
    if finding.suppression is not None:
        suppression = finding.suppression
        expired = suppression_expired(finding)
        verb = "suppression expired" if expired else "suppressed"
        until = f" ({'was ' if expired else ''}until {_clean(suppression.until)})" if suppression.until else ""
        source = f" ({_clean(suppression.source)})" if suppression.source else ""
        lines.append(Text(f"{verb}{until}: {_clean(suppression.reason)}{source}", style="dim italic"))
    return Group(title, Padding(Group(*lines), (0, 0, 0, 4), expand=False))


def _marker(finding: Finding, state: Status, fail_on: Severity | None) -> str:
    if state is Status.SUPPRESSED:
        return "suppressed"
    if state is Status.BASELINED:
        return "baselined"
    if fail_on is not None and finding.severity >= fail_on:
        return "failing"
    return ""


def _summary_line(summary: Summary) -> Text:
    parts = [f"{summary.total} findings"]
    if summary.fail_on is not None:
        parts.append(f"{summary.failing} failing at or above {summary.fail_on.value}")
    parts.append(f"{summary.open} open")
    parts.append(f"{summary.suppressed} suppressed")
    parts.append(f"{summary.baselined} baselined")
    text = Text(", ".join(parts) + ".")
    if summary.errors:
        noun = "error" if summary.errors == 1 else "errors"
        text.append(f" INCOMPLETE: {summary.errors} {noun}.", style="bold white on red")
    elif summary.open == 0:
        text.append(" Clean.", style="bold green")
    return text
