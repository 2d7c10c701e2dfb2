"""What a policy is: the frozen `Policy` the loader builds from a YAML file, and its JSON Schema check.

The schema (`policy.schema.json` beside this module) is applied to every file before anything else reads it, so a
malformed team policy fails with `file: policy id: message` instead of a traceback or a silent skip. A file whose
exact bytes already passed this exact schema is remembered in the user cache (keyed by the SHA-256 of both), so
a warm run skips importing jsonschema (~100 ms of the 0.5 s start-up budget); a changed byte is checked again.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from auditor.cache import cache_dir
from auditor.model import Severity

SCHEMA_PATH = Path(__file__).with_name("policy.schema.json")


class SubjectKind(enum.Enum):
    """What a condition is evaluated on, once per object of that kind."""

    BINDING = "binding"
    MEMBER = "member"
    """One principal of one binding: a binding with three members is three subjects."""
    INSTANCE = "instance"
    SERVICE_ACCOUNT = "service_account"
    KEY = "key"
    CONFLICT = "conflict"
    WORKFLOW = "workflow"
    """A GitHub Actions workflow file joined with the Terraform intent (the `chatops-*` policies)."""
    ESCALATION = "escalation"
    """One (principal, first edge) of the access graph and what it gains (`privilege-escalation`)."""


class RuleKind(enum.Enum):
    """How a rule is judged: the one registry holds both kinds, so config, SARIF, docs and `explain` see every id."""

    POLICY = "policy"
    """A CEL condition evaluated on each subject of its kind."""
    DRIFT = "drift"
    """A comparison of the live project with Terraform, made by `auditor drift` (no condition)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """One rule of the registry (a YAML file in `policies/` or a team's `--policies DIR`)."""

    id: str
    title: str
    severity: Severity
    """For a drift rule, its usual severity (some findings take the severity of the policies a live grant fails)."""
    subject: SubjectKind | None
    """None for a drift rule."""
    condition: str
    """CEL over the subject's variables (docs/policy-variables.md); true = violation. Empty for a drift rule."""
    message: str
    """Template with `{dotted.variable}` placeholders. Empty for a drift rule."""
    rationale: str
    remediation: str
    references: tuple[str, ...]
    source: str
    """The YAML file it was read from, for error messages."""
    builtin: bool = False
    kind: RuleKind = RuleKind.POLICY
    line: str | None = None
    """An int variable of the subject holding the line a finding points at (0 or absent: the subject's line)."""
    effective: bool = False
    """A member policy also judged on effective access (principals reaching the grant through the access graph)."""
    program: Any = field(default=None, compare=False, repr=False)
    """The compiled CEL program (engine-specific); compiled once by the loader. None for a drift rule."""

    @property
    def evaluated(self) -> bool:
        """A policy the engine evaluates (not a drift rule)."""
        return self.kind is RuleKind.POLICY


@cache
def _validator() -> Any:
    # jsonschema costs ~150 ms to import: pay it only when a policy file is actually read.
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def schema_errors(document: object) -> list[str]:
    """Every way `document` breaks the policy schema, as `field: problem` lines, most specific first."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: (list(e.absolute_path), e.message))
    messages = []
    for error in errors:
        where = ".".join(str(part) for part in error.absolute_path)
        messages.append(f"{where}: {error.message}" if where else error.message)
    return messages


@cache
def _schema_digest() -> bytes:
    return hashlib.sha256(SCHEMA_PATH.read_bytes()).digest()


@cache
def _code_digest() -> bytes:
    """This auditor's code as installed (each module's path, size and modification time) and the CEL extension's:
    a remembered policy passed the loader's static checks too (`check_policy`, which reads the facts classes and
    dry-runs the condition), so any change to the code re-validates every policy once."""
    import importlib.util

    digest = hashlib.sha256()
    spec = importlib.util.find_spec("cel")
    for root, directories, files in os.walk(Path(__file__).resolve().parent.parent):
        directories[:] = sorted(d for d in directories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".json", ".yaml")):
                path = os.path.join(root, name)
                stat = os.stat(path)
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for location in [] if spec is None else [spec.origin, *(spec.submodule_search_locations or [])]:
        if location and os.path.exists(location):
            stat = os.stat(location)
            digest.update(f"{location}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.digest()


def _validation_key(content: bytes) -> str:
    return hashlib.sha256(_schema_digest() + _code_digest() + b"\0" + content).hexdigest()


def known_valid(content: bytes) -> dict[str, Any] | None:
    """The parsed document, when these exact bytes passed this exact schema before (in this user's cache).

    Keeping the document (as JSON) lets a warm run skip both the YAML parser and the jsonschema import."""
    directory = cache_dir("policies-valid")
    if directory is None:
        return None
    try:
        document = json.loads((directory / _validation_key(content)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def remember_valid(content: bytes, document: dict[str, Any]) -> None:
    directory = cache_dir("policies-valid")
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / _validation_key(content)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(document), encoding="utf-8")
        os.replace(temporary, target)
    except (OSError, TypeError, ValueError):
        pass  # a read-only home (or a document JSON cannot hold) only costs the next run the schema import
