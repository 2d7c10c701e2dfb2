"""The machine-readable report (`--format json`, schema `auditor.report/v1`), read by `auditor notify` and scripts.

Named `json_report` rather than `json` so that `auditor.report.json` never shadows the standard library module
inside the package. Keys are always present (null when unknown) except the drift-only ones and `suppression`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from auditor import __version__
from auditor.baseline import fingerprint
from auditor.model import AuditResult, Finding, FindingKind, InputError, ReadError
from auditor.report import ReportOptions, Status, display_steps, ordered_errors, ordered_findings, summarize
from auditor.report.view import show

SCHEMA = "auditor.report/v1"


def render(result: AuditResult, options: ReportOptions | None = None) -> str:
    options = options or ReportOptions()
    fail_on = options.fail_on
    summary = summarize(result, fail_on=fail_on, baseline=options.baseline)
    document = {
        "schema": SCHEMA,
        "tool": {"name": "auditor", "version": __version__},
        "complete": result.complete,
        "scanned": list(result.scanned),
        "summary": {
            "total": summary.total,
            "open": summary.open,
            "suppressed": summary.suppressed,
            "baselined": summary.baselined,
            "open_by_severity": {severity.value: count for severity, count in summary.open_by_severity.items()},
            "fail_on": fail_on.value if fail_on else None,
            "failing": summary.failing,
            "errors": summary.errors,
        },
        "findings": [_finding(f, options, result.today) for f in ordered_findings(result.findings)],
        "errors": [_error(error) for error in ordered_errors(result.errors)],
    }
    return indented_json(document) + "\n"


_encode_string = json.encoder.encode_basestring  # the C function where available: no escaping of non-ASCII
_SCALARS = {True: "true", False: "false", None: "null"}


def indented_json(document: Any) -> str:
    """The text of `json.dumps(document, indent=2, ensure_ascii=False)`, several times faster.

    With `indent`, the standard library leaves its C encoder for a pure-Python generator chain: a report of
    thousands of findings spent more time there than in the audit. Here strings go through the C string encoder
    and the layout is joined once. Anything but JSON's own types falls back to `json.dumps`."""
    parts: list[str] = []
    try:
        _emit(document, parts, "\n")
    except _Unusual:
        return json.dumps(document, indent=2, ensure_ascii=False)
    return "".join(parts)


class _Unusual(Exception):
    """A value (or key) `indented_json` leaves to `json.dumps`."""


def _emit(value: Any, parts: list[str], newline: str) -> None:
    kind = type(value)
    if kind is str:
        parts.append(_encode_string(value))
    elif kind is dict:
        if not value:
            parts.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            parts.append(separator)
            parts.append(_encode_string(key))
            parts.append(": ")
            if type(item) is str:  # most values: no call for them
                parts.append(_encode_string(item))
            else:
                _emit(item, parts, inner)
            separator = "," + inner
        parts.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            parts.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            _emit(item, parts, inner)
            separator = "," + inner
        parts.append(newline + "]")
    elif kind is bool or value is None:
        parts.append(_SCALARS[value])
    elif kind is int:
        parts.append(int.__repr__(value))
    elif kind is float and value == value and value not in (float("inf"), float("-inf")):
        parts.append(float.__repr__(value))
    else:
        raise _Unusual


def _finding(finding: Finding, options: ReportOptions, today: dt.date) -> dict[str, Any]:
    shown = show(finding, options, today)
    rule = (options.rules or {}).get(finding.rule)
    entry: dict[str, Any] = {
        "rule": finding.rule,
        "title": rule.title if rule else None,
        "severity": finding.severity.value,
        "kind": finding.kind.value,
        "resource": finding.resource,
        "project": finding.project,
        "principal": finding.principal,
        "role": finding.role,
        "message": shown.message,
        "location": {"path": shown.path, "line": shown.line},
        "suppressed": shown.status is Status.SUPPRESSED,
        "baselined": shown.status is Status.BASELINED,
        "remediation": shown.remediation,
        "help_uri": rule.help_uri if rule else None,
        "fingerprint": fingerprint(finding),
    }
    if finding.suppression is not None:
        entry["suppression"] = {
            "reason": finding.suppression.reason,
            "until": finding.suppression.until.isoformat() if finding.suppression.until else None,
            "expired": shown.suppression_expired,
            "source": finding.suppression.source,
        }
    if finding.path:
        entry["path"] = display_steps(finding, options.repo_root)
        entry["permissions"] = list(finding.permissions)
    if finding.kind is FindingKind.DRIFT:
        drift = finding.drift
        entry["field"] = drift.field if drift else None
        entry["declared"] = drift.declared if drift else None
        entry["live"] = drift.live if drift else None
    return entry


def _error(error: InputError | ReadError) -> dict[str, Any]:
    if isinstance(error, InputError):
        return {
            "type": "input",
            "path": error.path,
            "line": error.line,
            "column": error.column,
            "message": error.message,
            "text": str(error),
        }
    return {
        "type": "read",
        "call": error.call,
        "resource": error.resource,
        "message": error.message,
        "permission": error.permission,
        "text": str(error),
    }
