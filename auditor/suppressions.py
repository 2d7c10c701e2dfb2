"""Suppressions: attach a reasoned, dated `Suppression` to the findings the team has accepted.

Two sources, applied after policy evaluation and before reporting:
- a comment on a resource block's first line, or in the contiguous comment lines directly above it:
  `# auditor:ignore[policy-id, other-id] reason until=YYYY-MM-DD` (`//` comments too; `until=` anywhere after the
  bracket, optional);
- the config file's `[[ignore]]` entries (`auditor.config.ConfigIgnore`), matched on policy id and resource address.

A suppressed finding is still reported, marked suppressed. One whose `until` lies before the report's date still
comes attached, and the report (judging expiry on its own date) says it stopped working: the finding counts again.
A malformed comment (no reason, a bad id or date, an unknown policy id) suppresses nothing and comes back as an
`InputError` in `SuppressionOutcome.errors`, which the caller adds to the audit's errors so the report shows it (and
the run does not pass as clean).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection, Iterable, MutableMapping, Sequence
from pathlib import Path
from typing import NamedTuple

from auditor.config import POLICY_ID, ConfigIgnore
from auditor.model import Finding, InputError, Intent, Suppression

TextCache = MutableMapping[str, tuple[str, ...]]
"""File lines by path, so that a file with many findings is read once."""

_MARK = re.compile(r"(?:#|//)\s*auditor:ignore(?P<rest>.*)$")
_BRACKET = re.compile(r"^\[(?P<ids>[^\]]*)\](?P<tail>.*)$")
_UNTIL = re.compile(r"(?:^|\s)until=(?P<date>\S*)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMMENT_LINE = re.compile(r"^\s*(?:#|//)")
_REASON_LEAD = " \t:-\u2013\u2014"
"""Separators people put between the bracket and the reason (`]: reason`, `] - reason`)."""
_COMMENTABLE_SUFFIXES = (".tf",)
"""Only Terraform sources carry comments; plan JSON and live resource names have none."""


class CommentScan(NamedTuple):
    suppressions: tuple[Suppression, ...]
    errors: tuple[InputError, ...]


class SuppressionOutcome(NamedTuple):
    findings: tuple[Finding, ...]
    """The input findings, in order, with `suppression` set on those that match."""
    errors: tuple[InputError, ...]
    """Malformed suppression comments on blocks that have findings; each suppressed nothing."""


def scan_comments(path: str | Path, block_line: int, text_cache: TextCache | None = None) -> CommentScan:
    """The suppression comments of the block starting at `block_line` (1-based), valid ones and problems apart."""
    lines = _lines(path, text_cache)
    if not 1 <= block_line <= len(lines):
        return CommentScan((), ())
    numbers = [block_line]
    above = block_line - 1
    while above >= 1 and _COMMENT_LINE.match(lines[above - 1]):
        numbers.append(above)
        above -= 1
    suppressions: list[Suppression] = []
    errors: list[InputError] = []
    for number in sorted(numbers):
        found, problem = _parse(lines[number - 1], f"{path}:{number}")
        suppressions.extend(found)
        if problem:
            errors.append(InputError(str(path), f"invalid suppression comment: {problem}", line=number))
    return CommentScan(tuple(suppressions), tuple(errors))


def comment_suppressions(
    path: str | Path, block_line: int, text_cache: TextCache | None = None
) -> tuple[Suppression, ...]:
    """The valid suppressions written on or directly above the block at `path:block_line` (never marked expired)."""
    return scan_comments(path, block_line, text_cache).suppressions


def apply_suppressions(
    findings: Iterable[Finding],
    config_ignores: Sequence[ConfigIgnore],
    today: dt.date,
    *,
    text_cache: TextCache | None = None,
    known: Collection[str] | None = None,
) -> SuppressionOutcome:
    """Attach to each finding the first matching live suppression (comment before config), else an expired one.

    `known`: the rule ids that exist; a comment naming another (a typo) suppresses nothing and is an input error,
    as the same typo in the config is."""
    cache: TextCache = {} if text_cache is None else text_cache
    scans: dict[tuple[str, int], CommentScan] = {}
    errors: dict[tuple[str, int | None, str], InputError] = {}
    result: list[Finding] = []
    for finding in findings:
        candidates: list[Suppression] = []
        location = finding.location
        if location.line and location.path.endswith(_COMMENTABLE_SUFFIXES):
            key = (location.path, location.line)
            scan = scans.get(key)
            if scan is None:
                scan = scans[key] = scan_comments(location.path, location.line, cache)
            for error in scan.errors:
                errors.setdefault((error.path, error.line, error.message), error)
            if known is not None:
                for unknown in (s for s in scan.suppressions if s.policy_id not in known):
                    error = _unknown_id(unknown, known)
                    errors.setdefault((error.path, error.line, error.message), error)
            candidates.extend(
                s for s in scan.suppressions if s.policy_id == finding.rule and (known is None or s.policy_id in known)
            )
        candidates.extend(
            Suppression(entry.policy, entry.reason, until=entry.until, source=entry.source)
            for entry in config_ignores
            if entry.matches(finding.rule, finding.resource)
        )
        if not candidates:
            result.append(finding)
            continue
        chosen = next((s for s in candidates if not s.expired_on(today)), candidates[0])
        result.append(dataclasses.replace(finding, suppression=chosen))
    return SuppressionOutcome(tuple(result), tuple(errors.values()))


def _unknown_id(suppression: Suppression, known: Collection[str]) -> InputError:
    from auditor.errors import did_you_mean

    path, _, line = suppression.source.rpartition(":")
    hint = did_you_mean(suppression.policy_id, known)
    message = f"invalid suppression comment: unknown policy id {suppression.policy_id!r}{hint}; nothing was suppressed"
    return InputError(path, message, line=int(line) if line.isdigit() else None)


def _parse(line: str, source: str) -> tuple[list[Suppression], str | None]:
    """Suppressions in one source line, or the reason the comment is invalid."""
    mark = _MARK.search(line)
    if mark is None:
        return [], None
    bracket = _BRACKET.match(mark["rest"])
    if bracket is None:
        return [], "expected `auditor:ignore[policy-id] reason`"
    ids = [part.strip() for part in bracket["ids"].split(",")]
    bad = [policy_id for policy_id in ids if not POLICY_ID.match(policy_id)]
    if bad:
        return [], f"{', '.join(repr(b) for b in bad)} is not a policy id (kebab-case, comma-separated)"
    tail = bracket["tail"]
    until: dt.date | None = None
    dated = _UNTIL.search(tail)
    if dated:
        if not _valid_date(dated["date"]):
            return [], f"until={dated['date']!r} is not a date (YYYY-MM-DD)"
        until = dt.date.fromisoformat(dated["date"])
        tail = tail[: dated.start()] + " " + tail[dated.end() :]
    reason = " ".join(tail.split()).strip(_REASON_LEAD)
    if not reason:
        return [], f"auditor:ignore[{', '.join(ids)}] needs a reason after the bracket; nothing was suppressed"
    return [Suppression(policy_id, reason, until=until, source=source) for policy_id in ids], None


def _valid_date(text: str) -> bool:
    if not _ISO_DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _lines(path: str | Path, text_cache: TextCache | None) -> tuple[str, ...]:
    key = str(path)
    if text_cache is not None and key in text_cache:
        return text_cache[key]
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as file:  # no \r-only line breaks
            text = file.read()
    except OSError:
        text = ""  # an unreadable file was already reported by the parser; it has no suppressions to offer
    # A file without the mark has no suppression comments, valid or not: no lines to look through.
    # Split on newlines only, as the HCL parser counts lines (str.splitlines also breaks on \f, \u2028 ...).
    lines = tuple(line.removesuffix("\r") for line in text.split("\n")) if "auditor:ignore" in text else ()
    if text_cache is not None:
        text_cache[key] = lines
    return lines


def carry_suppressions(
    declared_findings: Sequence[Finding],
    live_findings: Sequence[Finding],
    declared: Intent,
    live: Intent,
    config_ignores: Sequence[ConfigIgnore],
    today: dt.date,
) -> list[Finding]:
    """A grant Terraform declares and suppresses with a reason is suppressed live too, with the same reason.

    Otherwise every reasoned exception in the code (the ChatOps account's notebooks.admin, say) would come back in
    each drift report. The match is on policy, principal, role AND scope: an exception for a grant on one instance
    never silences the same role granted live on the whole project (or on another instance). A declared grant
    whose scope is unresolved carries nothing: where it applies is unknown. Scopes compare as drift compares them
    (`auditor.drift.keys`: a project named by its number is its id).
    """
    from auditor.drift.keys import Canon, ScopeKey

    canon = Canon((*live.projects, *declared.projects))
    declared_scopes = {b.address: canon.scope(b.scope) for b in declared.bindings}
    live_scopes = {b.address: canon.scope(b.scope) for b in live.bindings}
    suppressed = apply_suppressions(declared_findings, config_ignores, today).findings
    carried: dict[tuple[str, str, str | None, ScopeKey], Suppression] = {}
    for finding in suppressed:
        scope = declared_scopes.get(finding.resource)
        if finding.suppressed_on(today) and finding.principal and finding.suppression is not None and scope is not None:
            carried.setdefault((finding.rule, finding.principal, finding.role, scope), finding.suppression)
    out = []
    for finding in live_findings:
        scope = live_scopes.get(finding.resource)
        if finding.suppression is None and finding.principal and scope is not None:
            suppression = carried.get((finding.rule, finding.principal, finding.role, scope))
            if suppression is not None:
                finding = dataclasses.replace(finding, suppression=suppression)
        out.append(finding)
    return out
