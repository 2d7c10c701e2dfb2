"""Loading policy files: the built-in set, team directories, and every way a file can be wrong."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from auditor.errors import PolicyError
from auditor.model import Severity
from auditor.policy import SubjectKind, builtin_policies_dir, load_policies, load_policy_file
from auditor.policy.schema import RuleKind, schema_errors

BUILTIN_IDS = {
    "privilege-escalation": Severity.CRITICAL,
    "human-notebook-admin": Severity.HIGH,
    "human-vm-control-of-notebooks": Severity.HIGH,
    "default-compute-service-account": Severity.HIGH,
    "project-level-service-account-user": Severity.HIGH,
    "service-account-admin-privileges": Severity.HIGH,
    "public-principal": Severity.CRITICAL,
    "basic-role-human": Severity.MEDIUM,
    "notebook-public-ip": Severity.MEDIUM,
    "notebook-root-access": Severity.LOW,
    "notebook-shielded-vm": Severity.LOW,
    "user-managed-service-account-key": Severity.MEDIUM,
    "deprecated-notebooks-api": Severity.MEDIUM,
    "unresolved-sensitive-binding": Severity.MEDIUM,
    "iam-resource-conflict": Severity.HIGH,
    # issue 6: the ChatOps workflow path
    "chatops-expression-injection": Severity.CRITICAL,
    "chatops-unrestricted-operation": Severity.HIGH,
    "chatops-overbroad-identity": Severity.HIGH,
    "chatops-key-credential": Severity.MEDIUM,
    "chatops-unpinned-action": Severity.MEDIUM,
    # issue 9: drift rules live in the same registry (kind: drift), judged by `auditor drift`
    "drift-unexpected-member": Severity.HIGH,
    "unmanaged-grant": Severity.INFO,
    "drift-missing-member": Severity.MEDIUM,
    "drift-privilege-expansion": Severity.HIGH,
    "drift-instance-config": Severity.HIGH,
    "unmanaged-instance": Severity.MEDIUM,
    "drift-missing-instance": Severity.MEDIUM,
    "drift-unresolved": Severity.INFO,
    "drift-custom-role": Severity.HIGH,  # issue 11
}
DRIFT_IDS = {rule for rule in BUILTIN_IDS if rule.startswith(("drift-", "unmanaged-"))}

VALID = {
    "id": "team-rule",
    "title": "A team rule",
    "severity": "low",
    "subject": "member",
    "condition": "principal.kind == 'domain'",
    "message": "{principal.member} holds {binding.role}",
    "rationale": "why",
    "remediation": "fix it",
    "references": ["https://example.com/doc"],
}


def write(directory: Path, document: object, name: str = "team-rule") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document) if not isinstance(document, str) else document)
    return path


def test_builtin_set_is_exactly_the_issue_list_with_its_severities() -> None:
    policies = load_policies()
    assert {p.id: p.severity for p in policies} == BUILTIN_IDS
    assert all(p.builtin for p in policies)
    assert {p.id for p in policies if p.kind is RuleKind.DRIFT} == DRIFT_IDS
    assert all((p.program is None) == (p.id in DRIFT_IDS) for p in policies)
    assert all(p.subject is None and not p.condition for p in policies if p.id in DRIFT_IDS)
    assert [p.id for p in policies] == sorted(BUILTIN_IDS)


def test_every_builtin_file_is_schema_valid_and_named_by_its_id() -> None:
    files = sorted(builtin_policies_dir().glob("*.yaml"))
    assert len(files) == len(BUILTIN_IDS)
    for path in files:
        document = yaml.safe_load(path.read_text())
        assert schema_errors(document) == [], path
        assert document["id"] == path.stem


def test_team_directory_adds_policies_and_disable_removes_builtins(tmp_path: Path) -> None:
    write(tmp_path / "team", VALID)
    policies = load_policies([tmp_path / "team"], disabled=["notebook-root-access"])
    ids = {p.id for p in policies}
    assert "team-rule" in ids and "notebook-root-access" not in ids
    team = next(p for p in policies if p.id == "team-rule")
    assert team.subject is SubjectKind.MEMBER and not team.builtin
    assert len(policies) == len(BUILTIN_IDS)


def test_only_team_policies_when_builtins_are_off(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    assert [p.id for p in load_policies([tmp_path], builtin=False)] == ["team-rule"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"severity": "urgent"}, "team-rule: severity: 'urgent' is not one of"),
        ({"subject": "bucket"}, "team-rule: subject: 'bucket' is not one of"),
        ({"condition": None}, "team-rule: condition: None is not of type 'string'"),
        ({"references": ["http://insecure"]}, "team-rule: references.0: 'http://insecure' does not match"),
        ({"extra": 1}, "team-rule: Additional properties are not allowed ('extra' was unexpected)"),
        ({"id": "Team_Rule"}, "Team_Rule: id: 'Team_Rule' does not match"),
        ({"condition": "principal.human &&"}, "team-rule: condition is not valid CEL: "),
        ({"condition": "principal.humane"}, "team-rule: condition reads principal.humane, which a member subject"),
        ({"condition": "instance.public_ip", "subject": "member"}, "condition reads an unknown variable 'instance'"),
        ({"condition": "principal.member"}, "team-rule: condition must be true or false, got str"),
        ({"message": "{principal.name} is bad"}, "team-rule: message placeholder {principal.name} is not a variable"),
    ],
)
def test_bad_policy_file_names_file_and_id(tmp_path: Path, change: dict, expected: str) -> None:
    document = {**VALID, **change}
    path = write(tmp_path, document)
    with pytest.raises(PolicyError) as error:
        load_policy_file(path)
    message = str(error.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message


def test_missing_field_and_non_mapping_and_bad_yaml(tmp_path: Path) -> None:
    document = {k: v for k, v in VALID.items() if k != "remediation"}
    with pytest.raises(PolicyError, match="team-rule: 'remediation' is a required property"):
        load_policy_file(write(tmp_path, document))
    with pytest.raises(PolicyError, match=r"team-rule.yaml: -: \['a'\] is not of type 'object'"):
        load_policy_file(write(tmp_path, ["a"]))
    with pytest.raises(PolicyError, match=r"team-rule.yaml:2: -: not valid YAML"):
        load_policy_file(write(tmp_path, "id: x\n  title: [unclosed\n"))


def test_id_must_equal_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, VALID, name="other-name")
    with pytest.raises(PolicyError, match="team-rule: the id must equal the file name"):
        load_policy_file(path)


def test_duplicate_ids_and_unknown_disable_are_errors(tmp_path: Path) -> None:
    write(tmp_path / "dup", {**VALID, "id": "public-principal"}, name="public-principal")
    with pytest.raises(PolicyError, match="public-principal: duplicate policy id"):
        load_policies([tmp_path / "dup"])
    with pytest.raises(PolicyError, match="cannot disable no-such-policy: no policy has that id"):
        load_policies(disabled=["no-such-policy"])


def test_policies_dir_must_exist_and_hold_policies(tmp_path: Path) -> None:
    """The message names the directory and the problem (no stray `-:` where a policy id would go)."""
    with pytest.raises(PolicyError, match=f"^{tmp_path / 'missing'}: not a directory"):
        load_policies([tmp_path / "missing"])
    with pytest.raises(PolicyError, match=f"^{tmp_path}: no \\*.yaml policy files"):
        load_policies([tmp_path])


def test_warm_run_skips_the_schema_import_but_never_a_changed_file(tmp_path: Path, repo_root: Path) -> None:
    import os
    import subprocess
    import sys

    team = tmp_path / "team"
    write(team, VALID)
    code = (
        "import sys; from pathlib import Path; from auditor.policy import load_policies; "
        f"load_policies([Path({str(team)!r})]); print('jsonschema' in sys.modules)"
    )
    env = {**os.environ, "AUDITOR_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("AUDITOR_NO_CACHE", None)

    def imports_jsonschema() -> bool:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=repo_root, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip() == "True"

    assert imports_jsonschema() is True  # cold: every file checked against the schema
    assert imports_jsonschema() is False  # warm: the same bytes passed the same schema before
    write(team, {**VALID, "severity": "urgent"})
    with pytest.raises(AssertionError, match="severity: 'urgent' is not one of"):
        imports_jsonschema()


def test_a_drift_rule_has_no_condition_subject_or_message(tmp_path: Path) -> None:
    rule = {k: v for k, v in VALID.items() if k not in ("subject", "condition", "message")}
    write(tmp_path, {**rule, "kind": "drift"})
    (loaded,) = load_policies([tmp_path], builtin=False)
    assert loaded.kind is RuleKind.DRIFT and loaded.program is None
    write(tmp_path, {**rule, "kind": "drift", "condition": "true"})
    with pytest.raises(PolicyError, match="team-rule: a drift rule has no condition"):
        load_policies([tmp_path], builtin=False)
    write(tmp_path, rule)  # a policy (the default kind) needs them
    with pytest.raises(PolicyError, match="'subject' is a required property"):
        load_policies([tmp_path], builtin=False)


def test_a_policy_line_must_name_an_int_variable_of_its_subject(tmp_path: Path) -> None:
    write(tmp_path, {**VALID, "line": "binding.role"})
    with pytest.raises(PolicyError, match="line: binding.role is not an int variable of a member subject"):
        load_policies([tmp_path], builtin=False)


def test_warm_run_writes_nothing_to_the_validation_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    team = tmp_path / "team"
    write(team, VALID)
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AUDITOR_NO_CACHE", raising=False)
    load_policies([team])
    remembered = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*") if p.is_file()}
    assert remembered
    for path in remembered:
        os.utime(path, ns=(1, 1))
    load_policies([team])
    assert {p: p.stat().st_mtime_ns for p in remembered} == dict.fromkeys(remembered, 1)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("humans", "condition reads an unknown variable 'humans'; a member subject has binding, principal, role"),
        ("princpal.human && role.act_as", "unknown variable 'princpal' (did you mean principal?)"),
    ],
)
def test_an_unknown_variable_is_named_clearly(tmp_path: Path, condition: str, expected: str) -> None:
    """Issue 9: used to read `RuntimeError: Undefined variable`, or (behind `&&`) to load and never fire."""
    write(tmp_path, {**VALID, "condition": condition})
    with pytest.raises(PolicyError, match=re.escape(expected)) as error:
        load_policies([tmp_path], builtin=False)
    assert "RuntimeError" not in str(error.value)


def test_macro_variables_and_functions_are_not_unknown_variables(tmp_path: Path) -> None:
    write(tmp_path, {**VALID, "condition": "binding.members.exists(m, m.startsWith('user:')) && size(role.name) > 0"})
    (policy,) = load_policies([tmp_path], builtin=False)
    assert policy.id == "team-rule"


def test_a_remembered_policy_loads_as_it_did_when_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm run skips the static checks (they read the facts classes' type hints) for bytes that passed them with
    this very code (the remembered copy is keyed by the code's digest too): it loads the same policy."""
    from auditor.policy import schema

    team = tmp_path / "team"
    write(team, VALID)
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("AUDITOR_NO_CACHE", raising=False)
    (cold,) = load_policies([team], builtin=False)
    content = (team / "team-rule.yaml").read_bytes()
    assert schema.known_valid(content) is not None
    (warm,) = load_policies([team], builtin=False)
    assert (warm.id, warm.condition, warm.message, warm.subject) == (
        cold.id,
        cold.condition,
        cold.message,
        cold.subject,
    )
