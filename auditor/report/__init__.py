"""Reporters: the last stage of the pipeline, turning an `AuditResult` into text, plus the one exit-code mapping.

Each format is one module with `render(result, *, rules, repo_root, baseline, fail_on) -> str`; they share the
ordering, the status of a finding (open, suppressed, baselined), the counts and the repository-relative paths
defined here, so the four formats never disagree. Reporters never import the policy engine: policy metadata
reaches them as `RuleInfo`.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import importlib
import os
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.baseline import fingerprint
from auditor.errors import UsageError
from auditor.model import AuditResult, Finding, FindingKind, InputError, ReadError, Severity

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
"""Same values as `auditor.cli`; kept here so the reporters do not import the CLI."""

FORMATS: Mapping[str, str] = {
    "table": "auditor.report.terminal",
    "json": "auditor.report.json_report",
    "sarif": "auditor.report.sarif",
    "markdown": "auditor.report.markdown",
}
"""`--format` value -> reporter module, imported only when chosen (rich is not needed for `--format json`)."""

SEVERITIES_WORST_FIRST: tuple[Severity, ...] = tuple(sorted(Severity, reverse=True))


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a reporter needs to know about a policy; the policy engine builds these from its YAML files."""

    id: str
    title: str
    severity: Severity
    rationale: str = ""
    remediation: str = ""
    help_uri: str | None = None
    """A page explaining the policy (the generated docs page); linked from SARIF and Markdown."""


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What every reporter takes besides the result: one value, so the four `render` signatures cannot drift."""

    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    repo_root: Path | None = None
    """Paths in the report are relative to it (SARIF needs repository-relative URIs)."""
    baseline: AbstractSet[str] | None = None
    fail_on: Severity | None = None
    color: bool = False
    """The terminal reporter only: the caller decided stdout is a terminal (and NO_COLOR is unset)."""
    width: int = 100
    """The terminal reporter only."""


class Status(enum.Enum):
    """Whether a finding counts against the gate."""

    OPEN = "open"
    SUPPRESSED = "suppressed"
    """An unexpired `auditor:ignore` comment or config entry covers it."""
    BASELINED = "baselined"
    """Its fingerprint is in the baseline: known before, reported but not failing."""


def status(finding: Finding, baseline: AbstractSet[str] | None = None, today: dt.date | None = None) -> Status:
    """`today`: the report's date, against which suppressions expire (default: the current date)."""
    # A suppression is an explicit, reasoned decision, so it wins over the anonymous baseline.
    if finding.suppressed_on(today or dt.date.today()):
        return Status.SUPPRESSED
    if baseline and fingerprint(finding) in baseline:
        return Status.BASELINED
    return Status.OPEN


def is_failing(
    finding: Finding, fail_on: Severity, baseline: AbstractSet[str] | None = None, today: dt.date | None = None
) -> bool:
    return status(finding, baseline, today) is Status.OPEN and finding.severity >= fail_on


def suppression_expired(finding: Finding, today: dt.date | None = None) -> bool:
    """The finding carries a suppression whose end date has passed on the report's date."""
    return finding.suppression is not None and finding.suppression.expired_on(today or dt.date.today())


def exit_code(result: AuditResult, fail_on: Severity, baseline: AbstractSet[str] | None = None) -> int:
    """The one mapping from an audit to an exit code: 2 incomplete, 1 failing findings, 0 otherwise.

    Incompleteness wins over findings: a partial read may hide worse findings, and a run that could not read
    everything must not be mistaken for a plain policy failure either.
    """
    if not result.complete:
        return EXIT_ERROR
    if any(is_failing(finding, fail_on, baseline, result.today) for finding in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


@dataclass(frozen=True, slots=True)
class Summary:
    """The counts every reporter prints."""

    total: int
    open: int
    suppressed: int
    baselined: int
    open_by_severity: Mapping[Severity, int]
    """Open findings (neither suppressed nor baselined) per severity, every severity present."""
    errors: int
    fail_on: Severity | None
    failing: int | None
    """Open findings at or above `fail_on`; None when no threshold was given."""


def summarize(
    result: AuditResult, *, fail_on: Severity | None = None, baseline: AbstractSet[str] | None = None
) -> Summary:
    statuses = [(finding, status(finding, baseline, result.today)) for finding in result.findings]
    open_findings = [finding for finding, state in statuses if state is Status.OPEN]
    by_severity = {severity: 0 for severity in SEVERITIES_WORST_FIRST}
    for finding in open_findings:
        by_severity[finding.severity] += 1
    failing = None
    if fail_on is not None:
        failing = sum(1 for finding in open_findings if finding.severity >= fail_on)
    return Summary(
        total=len(statuses),
        open=len(open_findings),
        suppressed=sum(1 for _, state in statuses if state is Status.SUPPRESSED),
        baselined=sum(1 for _, state in statuses if state is Status.BASELINED),
        open_by_severity=by_severity,
        errors=len(result.errors),
        fail_on=fail_on,
        failing=failing,
    )


NO_PROJECT = "(no project)"
"""The group of findings on organizations, folders and Terraform-only resources."""


@dataclass(frozen=True, slots=True)
class ProjectGroup:
    """The findings of one project, for reports over several projects."""

    project: str
    """A project id, or NO_PROJECT."""
    findings: tuple[Finding, ...]
    """Worst first (`ordered_findings`)."""
    open_by_severity: Mapping[Severity, int]


def grouped_by_project(result: AuditResult, baseline: AbstractSet[str] | None = None) -> list[ProjectGroup] | None:
    """Findings per project (projects read with no finding included, NO_PROJECT last); None when the audit read no
    project and no finding names one: reports then keep their flat layout."""
    if not result.projects and all(finding.project is None for finding in result.findings):
        return None
    groups: dict[str, list[Finding]] = {project: [] for project in sorted(set(result.projects))}
    for finding in result.findings:
        groups.setdefault(finding.project or NO_PROJECT, []).append(finding)
    order = sorted(groups, key=lambda project: (project == NO_PROJECT, project))
    out = []
    for project in order:
        if project == NO_PROJECT and not groups[project]:
            continue
        counts = {severity: 0 for severity in SEVERITIES_WORST_FIRST}
        for finding in groups[project]:
            if status(finding, baseline, result.today) is Status.OPEN:
                counts[finding.severity] += 1
        out.append(ProjectGroup(project, tuple(ordered_findings(groups[project])), counts))
    return out


def ordered_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by rule and place: the same input always renders byte-for-byte the same."""
    return sorted(findings, key=_finding_order)


def _finding_order(finding: Finding) -> tuple[Any, ...]:
    return (
        -finding.severity.rank,
        finding.rule,
        finding.location.path,
        finding.location.line or 0,
        finding.resource,
        finding.principal or "",
        finding.role or "",
        finding.drift.field or "" if finding.drift else "",
        finding.message,
    )


def ordered_errors(errors: Iterable[InputError | ReadError]) -> list[InputError | ReadError]:
    """Input errors by file and line, then read errors by call and resource."""
    return sorted(errors, key=_error_order)


def _error_order(error: InputError | ReadError) -> tuple[Any, ...]:
    if isinstance(error, InputError):
        return (0, error.path, error.line or 0, error.column or 0, error.message)
    return (1, error.call, error.resource, error.message)


def in_file(finding: Finding) -> bool:
    """True when the finding's location is a file (intent, or a drift finding at its declaration).

    Live findings are located by a resource name such as `projects/p/serviceAccounts/x`, which must never be
    mistaken for a path relative to the working directory.
    """
    return finding.kind is FindingKind.INTENT or finding.location.line is not None


def repo_relative(path: str, repo_root: Path | None) -> str | None:
    """`path` relative to `repo_root` in POSIX form, or None when there is no root or the file lies outside it.

    Relative paths are taken relative to the working directory, which is how the sources record them.
    """
    if repo_root is None:
        return None
    return _repo_relative(path, repo_root, os.getcwd())


@functools.lru_cache(maxsize=4096)
def _repo_relative(path: str, repo_root: Path, cwd: str) -> str | None:
    """Once per distinct file (a report of thousands of findings names a few dozen files); `cwd` is in the key
    because a relative path means a different file from another working directory."""
    candidate = Path(path)
    for absolute, root in (
        (Path(os.path.abspath(candidate)), Path(os.path.abspath(repo_root))),
        (candidate.resolve(), repo_root.resolve()),  # symlinked checkouts
    ):
        try:
            return absolute.relative_to(root).as_posix()
        except ValueError:
            continue
    return None


def display_location(finding: Finding, repo_root: Path | None) -> tuple[str, int | None]:
    """The path (repository-relative where possible) and line a person should look at."""
    path = finding.location.path
    if in_file(finding):
        path = repo_relative(path, repo_root) or path
    return path, finding.location.line


def _step_location(location: str, repo_root: Path | None) -> str:
    """A path step's `path:line`, its file repository-relative as the finding's own location is (a live or
    workflow place that is no file stays as written)."""
    path, colon, line = location.rpartition(":")
    if not (colon and line.isdigit()):
        path, colon, line = location, "", ""
    if not os.path.isfile(path):
        return location
    return f"{repo_relative(path, repo_root) or path}{colon}{line}"


def display_steps(finding: Finding, repo_root: Path | None) -> list[dict[str, str | None]]:
    """The finding's path steps as shown: locations repository-relative where possible."""
    steps = [dict(step) for step in finding.path]
    for step in steps:
        if step.get("location"):
            step["location"] = _step_location(str(step["location"]), repo_root)
    return steps


def display_message(finding: Finding, repo_root: Path | None) -> str:
    """The message as shown: the places its path steps name, repository-relative like the finding's location."""
    message = finding.message
    for step in finding.path:
        location = step.get("location")
        if location and location in message:
            message = message.replace(location, _step_location(location, repo_root))
    return message


def render_report(format_name: str, result: AuditResult, **options: Any) -> str:
    """Render with the reporter registered for `format_name` (one of FORMATS)."""
    try:
        module_name = FORMATS[format_name]
    except KeyError:
        raise UsageError(f"unknown report format {format_name!r} (expected {'|'.join(FORMATS)})") from None
    module = importlib.import_module(module_name)
    return str(module.render(result, ReportOptions(**options)))


def remediation_for(finding: Finding, rules: Mapping[str, RuleInfo] | None) -> str:
    """The finding's own remediation, or its policy's when the finding carries none."""
    if finding.remediation:
        return finding.remediation
    rule = (rules or {}).get(finding.rule)
    return rule.remediation if rule else ""
