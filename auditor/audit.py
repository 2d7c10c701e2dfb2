"""The shared ends of `auditor check` and `auditor drift`: options, config, policies, suppressions, report, exit.

Both commands take the same reporting options and config; only the middle differs (Terraform alone, or
Terraform against the live project). Keeping the ends here means a flag means the same thing everywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.config import Config, load_config
from auditor.errors import UsageError
from auditor.model import AuditResult, Finding, InputError, ReadError, Severity


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """The Terraform inputs every command that reads Terraform takes."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path(".")],
        metavar="PATH",
        help="Terraform directories or `terraform show -json` plan files (default: .)",
    )
    parser.add_argument(
        "--var-file",
        action="append",
        type=Path,
        default=[],
        dest="var_files",
        metavar="FILE",
        help="a .tfvars file, as for terraform (repeatable)",
    )


def add_report_options(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument(
        "--format",
        choices=("table", "json", "sarif", "markdown"),
        default="table",
        help="report format (default: table)",
    )
    parser.add_argument("--output", type=Path, help="write the report to this file instead of standard output")
    parser.add_argument(
        "--fail-on",
        type=_severity,
        default=None,
        metavar="SEVERITY",
        help="exit 1 when a finding is at or above this severity "
        "(critical|high|medium|low|info; default: high, or fail_on in the config)",
    )
    add_policies_option(parser)
    parser.add_argument(
        "--config",
        type=Path,
        help="config file (default: auditor.toml or pyproject.toml "
        "[tool.auditor] found by walking up from the scanned path)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="findings recorded in this baseline are shown as such and do not fail the run",
    )
    parser.add_argument(
        "--write-baseline", type=Path, metavar="FILE", help="record the current findings in this baseline file"
    )


def add_policies_option(parser: argparse.ArgumentParser) -> None:
    """`--policies DIR`: the team's policy directories, for every command that reads the rule registry."""
    parser.add_argument(
        "--policies",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="a directory of extra policy YAML files (repeatable)",
    )


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


@dataclass(frozen=True)
class Setup:
    """What every audit command needs before it looks at anything: the config and the compiled policies."""

    config: Config
    policies: tuple[Any, ...]
    fail_on: Severity
    rule_ids: frozenset[str]
    """Every id of the registry, disabled ones included: what a suppression comment may name."""


def prepare(args: argparse.Namespace) -> Setup:
    from auditor.policy.loader import load_policies

    config = load_config(args.paths, args.config)
    registry = load_policies([*config.policies, *args.policies])
    # Checked here, not by the loader, so that a typo is reported against the config file that holds it.
    rule_ids = frozenset(p.id for p in registry)
    config.check_policy_ids(rule_ids)
    disabled = frozenset(config.disable)
    policies = tuple(p for p in registry if p.id not in disabled)
    return Setup(config, policies, args.fail_on or config.fail_on, rule_ids)


def finish(
    args: argparse.Namespace,
    setup: Setup,
    findings: Sequence[Finding],
    errors: Sequence[InputError | ReadError],
    scanned: Sequence[str],
    projects: Sequence[str] = (),
) -> int:
    """Apply suppressions, render the report, write it, and return the exit code.

    Every rule's metadata (policies and drift rules alike) comes from the one registry the setup loaded; a
    finding of a disabled rule (a drift rule turned off in the config) is dropped here. `projects`: the projects
    read live (drift, access); reports group findings by project when given."""
    from auditor.baseline import fingerprint, read_baseline, write_baseline
    from auditor.policy.docs import help_uri
    from auditor.report import RuleInfo, exit_code, render_report
    from auditor.suppressions import apply_suppressions

    disabled = set(setup.config.disable)
    findings = [finding for finding in findings if finding.rule not in disabled]
    today = dt.date.today()  # one report date for the suppressions, the report, the baseline and the exit code
    outcome = apply_suppressions(findings, setup.config.ignore, today, known=setup.rule_ids)
    result = AuditResult(
        tuple(outcome.findings), (*errors, *outcome.errors), tuple(scanned), tuple(projects), today=today
    )
    baseline = read_baseline(args.baseline) if args.baseline else None
    rules = {
        p.id: RuleInfo(p.id, p.title, p.severity, p.rationale, p.remediation, help_uri(p.id)) for p in setup.policies
    }
    options: dict[str, Any] = {
        "rules": rules,
        "repo_root": repository_root(),
        "baseline": baseline,
        "fail_on": setup.fail_on,
    }
    if args.format == "table":
        options["color"] = args.output is None and sys.stdout.isatty()
    text = render_report(args.format, result, **options)
    write_output(text, args.output)
    if args.write_baseline:
        count = _write(
            args.write_baseline, "the baseline", lambda: write_baseline(args.write_baseline, result.findings, today)
        )
        print(f"auditor: wrote {count} findings to the baseline {args.write_baseline}", file=sys.stderr)
        # Recording the findings is what was asked: they no longer fail this run. An incomplete audit still does.
        return exit_code(result, setup.fail_on, frozenset(fingerprint(f) for f in result.findings))
    return exit_code(result, setup.fail_on, baseline)


def write_output(text: str, output: Path | None, what: str = "the report") -> None:
    """A command's output, to `--output` or standard output. A full disk or a directory is a clear error, not an
    internal one; standard output is flushed here so its failure is reported too (a closed pipe stays a
    `BrokenPipeError`: the reader went away, nothing to tell it). A file name that is not UTF-8 reaches us with
    surrogate escapes: it is written as `\\udce9` rather than failing the whole report."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if output is not None:
        _write(output, what, lambda: output.write_text(text, encoding="utf-8"))
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise UsageError(f"standard output: cannot write {what}: {error.strerror or error}") from None


def _write(path: Path, what: str, write: Callable[[], int]) -> int:
    """Write an output file; a directory, a missing permission or a full disk is a clear error, not a traceback."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return write()
    except IsADirectoryError:
        raise UsageError(f"{path}: cannot write {what}: it is a directory") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot write {what}: {error.strerror or error}") from None


def repository_root() -> Path:
    """The git work tree around the working directory (SARIF paths are relative to it), else the directory."""
    current = Path.cwd()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return Path(os.getcwd())
