"""What the reporters show, worked out once: the counts, the findings in order (grouped by project when the audit
spans projects), and per finding its status, place, message and remediation as displayed. The formats differ only in
how they lay these out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from auditor.model import AuditResult, Finding, InputError, ReadError
from auditor.report import (
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


@dataclass(frozen=True, slots=True)
class ShownFinding:
    """One finding as a report shows it."""

    finding: Finding
    status: Status
    path: str
    """Repository-relative where possible."""
    line: int | None
    message: str
    """Its path steps' places repository-relative, like `path`."""
    remediation: str
    """Its own, or its policy's."""
    suppression_expired: bool

    @property
    def place(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def suppression_words(self, clean: Callable[[object], str]) -> tuple[str, str] | None:
        """The suppression as the human reports word it: `suppressed` or `suppression expired`, and
        ` (until D): reason (source)` with each value through the format's `clean`; None when not suppressed."""
        suppression = self.finding.suppression
        if suppression is None:
            return None
        expired = self.suppression_expired
        until = f" ({'was ' if expired else ''}until {clean(suppression.until)})" if suppression.until else ""
        source = f" ({clean(suppression.source)})" if suppression.source else ""
        return "suppression expired" if expired else "suppressed", f"{until}: {clean(suppression.reason)}{source}"


def show(finding: Finding, options: ReportOptions, today: dt.date) -> ShownFinding:
    """`today`: the report's date (`AuditResult.today`), against which suppressions expire."""
    path, line = display_location(finding, options.repo_root)
    return ShownFinding(
        finding=finding,
        status=status(finding, options.baseline, today),
        path=path,
        line=line,
        message=display_message(finding, options.repo_root),
        remediation=remediation_for(finding, options.rules),
        suppression_expired=suppression_expired(finding, today),
    )


@dataclass(frozen=True, slots=True)
class ReportView:
    """A whole result as the terminal and Markdown reports lay it out."""

    summary: Summary
    projects: list[ProjectGroup] | None
    """None when the audit read no project and no finding names one: the flat layout."""
    findings: list[Finding]
    """Worst first; with `projects`, project by project, each worst first."""
    errors: list[InputError | ReadError]


def report_view(result: AuditResult, options: ReportOptions) -> ReportView:
    projects = grouped_by_project(result, options.baseline)
    if projects is None:
        findings = ordered_findings(result.findings)
    else:
        findings = [finding for group in projects for finding in group.findings]
    return ReportView(
        summary=summarize(result, fail_on=options.fail_on, baseline=options.baseline),
        projects=projects,
        findings=findings,
        errors=ordered_errors(result.errors),
    )
