"""The team's settings for `auditor check`: severity gate, extra policies, disabled ids, ignores, project numbers.

Where settings live, looked up from each scanned path upwards (the file's directory, then its parents, stopping after
the directory that holds `.git`), first match wins in each directory:

1. `auditor.toml`: the keys at top level, or, equally, inside a `[tool.auditor]` table (so a `pyproject.toml` section
   can be moved over unchanged); both in one file is an error.
2. `pyproject.toml` with a `[tool.auditor]` table; a `pyproject.toml` without one is skipped and the walk goes on.

`--config FILE` overrides the walk; a file named `pyproject.toml` must then have the table. Unknown keys and wrong
types are errors (`UsageError`, `file: message`): a misspelt key must never silently switch a check off.

    fail_on = "high"                      # critical|high|medium|low|info
    policies = ["policies/team"]          # extra policy directories, relative to this file
    disable = ["notebook-root-access"]    # policy ids
    project_numbers = ["123456789012"]    # our projects: their default compute SA is ours
    [[ignore]]                            # [[tool.auditor.ignore]] in pyproject.toml
    policy = "basic-role-human"
    address = "module.platform.google_project_iam_member.owners*"   # a trailing * matches any suffix
    reason = "break-glass account, reviewed quarterly"
    until = 2026-12-31                    # TOML date or "YYYY-MM-DD"; optional
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import UsageError, did_you_mean
from auditor.model import Severity

AUDITOR_TOML = "auditor.toml"
PYPROJECT_TOML = "pyproject.toml"

POLICY_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEYS = frozenset({"fail_on", "policies", "disable", "ignore", "project_numbers", "administrators"})
_IGNORE_KEYS = frozenset({"policy", "address", "reason", "until"})


@dataclass(frozen=True, slots=True)
class ConfigIgnore:
    """One `[[ignore]]` entry: suppress `policy` on the resource `address` (a trailing `*` matches any suffix)."""

    policy: str
    address: str
    reason: str
    until: dt.date | None = None
    source: str = ""
    """The config file and entry, e.g. `auditor.toml: ignore[2]`, shown where the suppression is reported."""

    def matches(self, policy: str, resource: str) -> bool:
        if policy != self.policy:
            return False
        if self.address.endswith("*"):
            return resource.startswith(self.address[:-1])
        return resource == self.address


@dataclass(frozen=True, slots=True)
class Config:
    """`auditor.toml`: policy directories, disabled ids, ignores, the gate threshold and administrators."""

    path: Path | None = None
    """The file the settings came from; None when none was found (all defaults)."""
    fail_on: Severity = Severity.HIGH
    policies: tuple[Path, ...] = ()
    """Extra policy directories, absolute (resolved against the config file's directory)."""
    disable: tuple[str, ...] = ()
    ignore: tuple[ConfigIgnore, ...] = ()
    project_numbers: tuple[str, ...] = ()
    administrators: tuple[str, ...] = ()
    """The team's intended admins (IAM members, or service-account emails): no escalation finding is about them."""

    def check_policy_ids(self, known: Collection[str]) -> None:
        """Refuse ids in `disable` or `ignore` that name no loaded policy: a typo would otherwise do nothing."""
        unknown = sorted({*self.disable, *(entry.policy for entry in self.ignore)} - set(known))
        if unknown:
            named = ", ".join(f"{policy_id}{did_you_mean(policy_id, known)}" for policy_id in unknown)
            raise UsageError(f"{self.path}: unknown policy id(s): {named}")


def load_config(scan_paths: Sequence[Path], explicit: Path | None = None) -> Config:
    """Read the explicit config file, or the one found above the scanned paths, or return the defaults."""
    if explicit is not None:
        if explicit.is_dir():
            raise UsageError(f"{explicit}: cannot read the config: it is a directory")
        if not explicit.is_file():
            raise UsageError(f"{explicit}: config file not found")
        return _read(explicit)
    try:
        found = {_discover(path) for path in scan_paths or [Path(".")]}
    except OSError as error:  # a directory on the way up that cannot be listed (permission denied)
        where = error.filename or "a parent directory"
        raise UsageError(f"{where}: cannot look for a config file: {error.strerror or error}") from None
    found.discard(None)
    if len(found) > 1:
        names = ", ".join(sorted(str(path) for path in found if path))
        raise UsageError(f"the scanned paths use different config files ({names}); pass --config to choose one")
    if not found:
        return Config()
    path = found.pop()
    assert path is not None
    return _read(path)


def _discover(scan_path: Path) -> Path | None:
    start = scan_path.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        auditor_toml = candidate / AUDITOR_TOML
        if auditor_toml.is_file():
            return auditor_toml
        pyproject = candidate / PYPROJECT_TOML
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (candidate / ".git").exists():
            return None  # the repository root: settings above it belong to someone else
    return None


def _has_tool_table(pyproject: Path) -> bool:
    tool = _parse(pyproject).get("tool")
    return isinstance(tool, dict) and "auditor" in tool


def _parse(path: Path) -> dict[str, object]:
    import tomllib  # only when there is a file to read: most runs have none

    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: invalid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read: {error}") from None


def _read(path: Path) -> Config:
    document = _parse(path)
    tool = document.get("tool")
    table: object
    if path.name == PYPROJECT_TOML:
        table = tool.get("auditor") if isinstance(tool, dict) else None
        if table is None:
            raise UsageError(f"{path}: no [tool.auditor] table")
    elif isinstance(tool, dict) and "auditor" in tool:
        if set(document) != {"tool"} or set(tool) != {"auditor"}:
            raise UsageError(f"{path}: use either top-level keys or a [tool.auditor] table, not both")
        table = tool["auditor"]
    else:
        table = document
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.auditor] must be a table")
    return _build(path, table)


def _build(path: Path, table: Mapping[str, object]) -> Config:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise UsageError(f"{path}: unknown key(s) {', '.join(unknown)} (expected {', '.join(sorted(_KEYS))})")
    fail_on = Severity.HIGH
    if "fail_on" in table:
        try:
            fail_on = Severity.parse(_string(path, "fail_on", table["fail_on"]))
        except ValueError as error:
            raise UsageError(f"{path}: fail_on: {error}") from None
    base = path.resolve().parent
    policies = tuple(base / entry for entry in _strings(path, "policies", table.get("policies", [])))
    disable = _strings(path, "disable", table.get("disable", []))
    for policy_id in disable:
        _policy_id(path, "disable", policy_id)
    project_numbers = _strings(path, "project_numbers", table.get("project_numbers", []))
    for number in project_numbers:
        if not number.isdigit():
            raise UsageError(f"{path}: project_numbers: {number!r} is not a project number (digits only)")
    administrators = _strings(path, "administrators", table.get("administrators", []))
    entries = table.get("ignore", [])
    if not isinstance(entries, list):
        raise UsageError(f"{path}: ignore must be an array of tables ([[ignore]])")
    ignore = tuple(_ignore(path, index, entry) for index, entry in enumerate(entries))
    return Config(
        path=path,
        fail_on=fail_on,
        policies=policies,
        disable=disable,
        ignore=ignore,
        project_numbers=project_numbers,
        administrators=administrators,
    )


def _ignore(path: Path, index: int, entry: object) -> ConfigIgnore:
    where = f"ignore[{index}]"
    if not isinstance(entry, dict):
        raise UsageError(f"{path}: {where} must be a table with policy, address, reason and optionally until")
    unknown = sorted(set(entry) - _IGNORE_KEYS)
    if unknown:
        raise UsageError(f"{path}: {where}: unknown key(s) {', '.join(unknown)}")
    missing = sorted(key for key in ("policy", "address", "reason") if key not in entry)
    if missing:
        raise UsageError(f"{path}: {where}: missing {', '.join(missing)}")
    policy = _policy_id(path, where, _string(path, f"{where}.policy", entry["policy"]))
    address = _string(path, f"{where}.address", entry["address"]).strip()
    if not address or "*" in address[:-1]:
        raise UsageError(f"{path}: {where}.address: {address!r}: only a single trailing * is allowed as a wildcard")
    reason = _string(path, f"{where}.reason", entry["reason"]).strip()
    if not reason:
        raise UsageError(f"{path}: {where}.reason: a suppression needs a reason")
    return ConfigIgnore(
        policy=policy,
        address=address,
        reason=reason,
        until=_date(path, f"{where}.until", entry.get("until")),
        source=f"{path}: {where}",
    )


def _date(path: Path, key: str, value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # a datetime is a date subclass: refuse it rather than drop the time
        raise UsageError(f"{path}: {key}: expected a date (YYYY-MM-DD), got a date-time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as error:
            raise UsageError(f"{path}: {key}: {error}") from None
    raise UsageError(f"{path}: {key}: expected a date (YYYY-MM-DD), got {value!r}")


def _policy_id(path: Path, key: str, value: str) -> str:
    if not POLICY_ID.match(value):
        raise UsageError(f"{path}: {key}: {value!r} is not a policy id (kebab-case)")
    return value


def _string(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{path}: {key}: expected a string, got {type(value).__name__} {value!r}")
    return value


def _strings(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UsageError(f"{path}: {key}: expected a list of strings, got {value!r}")
    return tuple(value)
