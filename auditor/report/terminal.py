"""The human report (`--format table`, the default on a terminal): findings grouped by severity, worst first.

Values are added as `rich.text.Text` segments, never parsed as markup, so a resource named `[bold]x` prints
literally; terminal control characters in values are shown escaped, so a name cannot move the cursor or recolour
the screen. Without `color`, the output is plain text.
"""

from __future__ import annotations

import datetime as dt
import io

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from auditor.model import AuditResult, Finding, Severity
from auditor.report import SEVERITIES_WORST_FIRST, ProjectGroup, ReportOptions, Status, Summary
from auditor.report.escape import terminal_safe
from auditor.report.view import report_view, show

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
    color, width = options.color, options.width
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
    view = report_view(result, options)
    summary = view.summary
    if not result.complete:
        console.print(_incomplete_banner(summary))
    if result.scanned:
        console.print(Text("scanned: " + ", ".join(_clean(path) for path in result.scanned), style="dim"))
    if view.projects is None:
        _by_severity(console, view.findings, "", options, result.today)
    else:
        console.print()
        console.print(_project_table(view.projects))
        for group in view.projects:
            console.print()
            console.print(Text(f"PROJECT {_clean(group.project)} ({len(group.findings)})", style="bold underline"))
            _by_severity(console, list(group.findings), "  ", options, result.today)
    if view.errors:
        console.print()
        console.print(Text(f"ERRORS ({len(view.errors)})", style="bold red"))
        for error in view.errors:
            console.print(Padding(Text(_clean(error, one_line=False)), (0, 0, 0, 2), expand=False))
    console.print()
    console.print(_summary_line(summary))
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in output.splitlines()) + "\n"


def _by_severity(
    console: Console, findings: list[Finding], indent: str, options: ReportOptions, today: dt.date
) -> None:
    for severity in SEVERITIES_WORST_FIRST:
        group = [finding for finding in findings if finding.severity is severity]
        if not group:
            continue
        console.print()
        console.print(Text(f"{indent}{severity.value.upper()} ({len(group)})", style=_SEVERITY_STYLE[severity]))
        for finding in group:
            rendered = _finding(finding, options, today)
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


def _finding(finding: Finding, options: ReportOptions, today: dt.date) -> RenderableType:
    shown = show(finding, options, today)
    state = shown.status
    dim = state is not Status.OPEN
    base = "dim" if dim else ""

    title = Text("  ")
    title.append(_clean(finding.rule), style="dim bold" if dim else "bold")
    title.append("  ")
    title.append(_clean(finding.resource), style=base)
    marker = _marker(finding, state, options.fail_on)
    if marker:
        title.append(f"  [{marker}]", style="dim italic" if dim else "bold")

    lines: list[Text] = []
    lines.append(Text(f"at {_clean(shown.place)}", style=base))
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
    lines.append(Text(_clean(shown.message, one_line=False), style=base))
    if shown.remediation:
        lines.append(Text(f"fix: {_clean(shown.remediation, one_line=False)}", style="dim" if dim else "green"))
    suppression = shown.suppression_words(_clean)
    if suppression is not None:
        verb, words = suppression
        lines.append(Text(f"{verb}{words}", style="dim italic"))
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
