"""Policy files -> compiled `Policy` objects: the built-in set plus any `--policies DIR` a team adds.

Every file is schema-checked, its CEL compiled and its variable names checked before any evaluation; any problem
is a `PolicyError` reading `file: policy id: message`, which the CLI maps to exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from auditor.errors import PolicyError
from auditor.model import Severity
from auditor.policy.engine import check_policy, compile_condition
from auditor.policy.schema import Policy, RuleKind, SubjectKind, known_valid, remember_valid, schema_errors


def builtin_policies_dir() -> Path:
    """The built-in policies: installed with the package as `auditor/_builtin_policies/` (pyproject.toml maps the
    top-level `policies/` onto it), or the top-level `policies/` of a source checkout or editable install."""
    # Plain paths, not importlib.resources (~25 ms of start-up); the installed copy wins so that an unrelated
    # `policies/` directory next to site-packages can never be mistaken for ours.
    package = Path(__file__).resolve().parent.parent
    installed = package / "_builtin_policies"
    if installed.is_dir():
        return installed
    checkout = package.parent / "policies"
    if checkout.is_dir():
        return checkout
    raise PolicyError(f"built-in policies not found (looked in {installed} and {checkout})")


def load_policy_file(path: Path, *, builtin: bool = False) -> Policy:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise PolicyError(f"{path}: cannot read: {error.strerror or error}") from None
    cached = known_valid(content)
    document = cached if cached is not None else _parse_yaml(path, content)
    policy_id = document.get("id") if isinstance(document, dict) and isinstance(document.get("id"), str) else "-"
    if isinstance(document, dict) and document.get("kind") == RuleKind.DRIFT.value:
        extra = sorted({"subject", "condition", "message", "line"} & set(document))
        if extra:
            raise PolicyError(f"{path}: {policy_id}: a drift rule has no {', '.join(extra)} (only policies do)")
    if cached is None:
        problems = schema_errors(document)
        if problems:
            raise PolicyError(f"{path}: {policy_id}: " + "; ".join(problems))
    if policy_id != path.stem:
        raise PolicyError(f"{path}: {policy_id}: the id must equal the file name ({path.stem})")
    policy = _compile(path, document, policy_id, builtin)
    if cached is None:
        check_policy(policy)  # a remembered document passed it with this very code (the key holds the code's digest)
        remember_valid(content, document)  # only once every check passed; a cached document was remembered before
    return policy


def _parse_yaml(path: Path, content: bytes) -> Any:
    import yaml  # only when the file is new or changed: a warm run reads the validated copy instead

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the same documents, faster
    try:
        return yaml.load(content.decode("utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    except UnicodeDecodeError as error:
        raise PolicyError(f"{path}: -: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error)
        raise PolicyError(f"{where}: -: not valid YAML: {problem}") from None


def _compile(path: Path, document: dict[str, Any], policy_id: str, builtin: bool) -> Policy:
    common = {
        "id": policy_id,
        "title": document["title"].strip(),
        "severity": Severity(document["severity"]),
        "rationale": document["rationale"].strip(),
        "remediation": document["remediation"].strip(),
        "references": tuple(document["references"]),
        "source": str(path),
        "builtin": builtin,
    }
    if document.get("kind") == RuleKind.DRIFT.value:
        return Policy(subject=None, condition="", message="", kind=RuleKind.DRIFT, **common)
    try:
        program = compile_condition(document["condition"])
    except (ValueError, RuntimeError) as error:
        raise PolicyError(f"{path}: {policy_id}: condition is not valid CEL: {error}") from None

    policy = Policy(
        subject=SubjectKind(document["subject"]),
        condition=document["condition"].strip(),
        message=" ".join(document["message"].split()),
        line=document.get("line"),
        effective=bool(document.get("effective", False)),
        program=program,
        **common,
    )
    return policy


def load_directory(directory: Path, *, builtin: bool = False) -> list[Policy]:
    if not directory.is_dir():
        raise PolicyError(f"{directory}: not a directory of policy files")
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not files and not builtin:
        raise PolicyError(f"{directory}: no *.yaml policy files in this directory")
    return [load_policy_file(path, builtin=builtin) for path in files]


def load_policies(
    directories: Sequence[Path] = (),
    *,
    disabled: Iterable[str] = (),
    builtin: bool = True,
) -> tuple[Policy, ...]:
    """The built-in policies (unless `builtin=False`) plus every policy in `directories`, minus the `disabled`
    ids, sorted by id. Duplicate ids and disabling an id that does not exist are errors: both are usually typos."""
    loaded: list[Policy] = []
    if builtin:
        loaded.extend(load_directory(builtin_policies_dir(), builtin=True))
    for directory in directories:
        loaded.extend(load_directory(Path(directory)))

    by_id: dict[str, Policy] = {}
    for policy in loaded:
        if policy.id in by_id:
            raise PolicyError(f"{policy.source}: {policy.id}: duplicate policy id (also in {by_id[policy.id].source})")
        by_id[policy.id] = policy

    disabled = set(disabled)
    unknown = sorted(disabled - by_id.keys())
    if unknown:
        raise PolicyError(f"cannot disable {', '.join(unknown)}: no policy has that id")
    return tuple(policy for policy_id, policy in sorted(by_id.items()) if policy_id not in disabled)
