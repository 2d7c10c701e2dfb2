"""Stable finding fingerprints and the baseline file that records known findings.

A fingerprint names *what* is wrong (policy, resource, principal, role, field), never *where* the text sits or how
the message reads, so moving a block to another file or rewording a policy keeps a known finding known. Reporters
and the exit code read the baseline as a set of fingerprints.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from auditor.errors import UsageError
from auditor.model import Finding

BASELINE_SCHEMA = "auditor.baseline/v1"
_FINGERPRINT = re.compile(r"[0-9a-fA-F]{64}")


def fingerprint(finding: Finding) -> str:
    """sha256 (hex) of policy id, resource, principal, role and drift field.

    JSON-encoding the tuple keeps the parts unambiguous (`a|b` + `c` never equals `a` + `b|c`) and keeps a missing
    part (null) distinct from an empty one.
    """
    identity = [finding.rule, finding.resource, finding.principal, finding.role, drift_field(finding)]
    return hashlib.sha256(_encode_identity(identity).encode("utf-8")).hexdigest()


def drift_field(finding: Finding) -> str | None:
    """The compared attribute of a drift finding, part of its identity (two fields of one instance differ)."""
    return finding.drift.field if finding.drift is not None else None


_encode_identity = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""`json.dumps(identity, separators=(",", ":"), ensure_ascii=False)` without building an encoder per finding."""


def write_baseline(path: Path | str, findings: Iterable[Finding], today: dt.date | None = None) -> int:
    """Record the findings that currently count against the gate; returns how many entries were written.

    Suppressed findings are left out: a suppression has its own end date, and baselining it would silently extend
    that date forever. An expired suppression no longer suppresses, so its finding is recorded.
    """
    today = today or dt.date.today()
    entries: dict[str, dict[str, str]] = {}
    for finding in findings:
        if finding.suppressed_on(today):
            continue
        entry = {"fingerprint": fingerprint(finding), "rule": finding.rule, "resource": finding.resource}
        # The remaining identity parts are only for a person reading the file; the fingerprint is what counts.
        for name, value in (("principal", finding.principal), ("role", finding.role), ("field", drift_field(finding))):
            if value is not None:
                entry[name] = value
        entries[entry["fingerprint"]] = entry
    ordered = sorted(
        entries.values(), key=lambda e: (e["rule"], e["resource"], e.get("principal", ""), e["fingerprint"])
    )
    document = {"schema": BASELINE_SCHEMA, "findings": ordered}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    target = Path(path)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{target}: cannot write baseline: {error.strerror or error}") from None
    return len(ordered)


def read_baseline(path: Path | str) -> frozenset[str]:
    """The fingerprints recorded in a baseline file; any problem with the file is a usage error (exit 2)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{source}: cannot read baseline: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{source}: baseline is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{source}:{error.lineno}:{error.colno}: baseline is not valid JSON: {error.msg}") from None
    if not isinstance(document, dict):
        raise UsageError(f"{source}: baseline must be a JSON object with a 'schema' and 'findings'")
    schema = document.get("schema")
    if schema != BASELINE_SCHEMA:
        raise UsageError(f"{source}: unsupported baseline schema {schema!r} (expected {BASELINE_SCHEMA!r})")
    entries = document.get("findings")
    if not isinstance(entries, list):
        raise UsageError(f"{source}: baseline 'findings' must be a list")
    fingerprints: set[str] = set()
    for index, entry in enumerate(entries):
        value = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(value, str) or not _is_fingerprint(value):
            raise UsageError(f"{source}: findings[{index}] has no valid 'fingerprint' (64 hexadecimal characters)")
        fingerprints.add(value.lower())
    return frozenset(fingerprints)


def _is_fingerprint(value: object) -> bool:
    return isinstance(value, str) and _FINGERPRINT.fullmatch(value) is not None
