"""The engine on hand-built intents: which subjects each built-in policy flags, and how failures surface."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import PolicyError
from auditor.model import (
    Conflict,
    ConflictKind,
    FindingKind,
    Intent,
    Location,
    Scope,
    ScopeKind,
    ServiceAccountKey,
    Severity,
    ShieldedVm,
    Unresolved,
)
from auditor.policy import SubjectKind, load_policies, load_policy_file
from auditor.policy.engine import evaluate, render_message
from tests.policy_helpers import binding, instance, lookup

POLICIES = {p.id: p for p in load_policies()}


def run(policy_id: str, intent: Intent) -> list:
    return evaluate(intent, [POLICIES[policy_id]], roles=lookup)


def flagged(policy_id: str, intent: Intent) -> set[tuple[str, str | None]]:
    return {(f.resource, f.principal) for f in run(policy_id, intent)}


def test_human_notebook_admin_judges_permissions_not_names() -> None:
    intent = Intent(
        bindings=(
            binding("roles/notebooks.admin", "user:ana@x.com", address="a"),
            binding("roles/notebooks.editor", "group:ds@x.com", address="b"),
            binding("projects/p/roles/resizer", "user:bo@x.com", address="c"),
            binding("roles/notebooks.viewer", "user:cy@x.com", address="d"),
            binding("roles/notebooks.admin", "serviceAccount:chatops@p.iam.gserviceaccount.com", address="e"),
            binding("roles/notebooks.admin", "allUsers", address="f", scope=ScopeKind.WORKBENCH_INSTANCE),
            binding("roles/owner", "user:ana@x.com", address="g", scope=ScopeKind.SERVICE_ACCOUNT),
        )
    )
    assert flagged("human-notebook-admin", intent) == {
        ("a", "user:ana@x.com"),
        ("b", "group:ds@x.com"),
        ("c", "user:bo@x.com"),
        ("f", "allUsers"),
    }


def test_finding_carries_policy_fields_and_a_readable_message() -> None:
    intent = Intent(bindings=(binding("roles/notebooks.admin", "user:ana@x.com", address="a", line=7),))
    (finding,) = run("human-notebook-admin", intent)
    assert finding.rule == "human-notebook-admin"
    assert finding.severity is Severity.HIGH
    assert finding.kind is FindingKind.INTENT
    assert finding.role == "roles/notebooks.admin"
    assert finding.location == Location("main.tf", 7)
    assert finding.message.startswith("user:ana@x.com can create, delete or reconfigure notebook instances")
    assert "roles/notebooks.admin on project p" in finding.message
    assert "{" not in finding.message
    assert "roles/notebooks.viewer" in finding.remediation


def test_project_level_act_as_only_for_humans_above_the_service_account() -> None:
    intent = Intent(
        bindings=(
            binding("roles/iam.serviceAccountUser", "user:ana@x.com", address="project"),
            binding(
                "roles/iam.serviceAccountUser",
                "user:ana@x.com",
                address="sa",
                scope=ScopeKind.SERVICE_ACCOUNT,
                scope_name="nb@p.iam.gserviceaccount.com",
            ),
            binding("roles/iam.serviceAccountUser", "serviceAccount:ci@p.iam.gserviceaccount.com", address="ci"),
            binding("roles/owner", "group:admins@x.com", address="owner", scope=ScopeKind.FOLDER),
        )
    )
    assert flagged("project-level-service-account-user", intent) == {
        ("project", "user:ana@x.com"),
        ("owner", "group:admins@x.com"),
    }


def test_service_account_admin_privileges_only_user_managed_accounts() -> None:
    intent = Intent(
        bindings=(
            binding("roles/owner", "serviceAccount:nb@p.iam.gserviceaccount.com", address="a"),
            binding("roles/compute.instanceAdmin.v1", "serviceAccount:ops@p.iam.gserviceaccount.com", address="b"),
            binding("roles/owner", "serviceAccount:service-1@gcp-sa-notebooks.iam.gserviceaccount.com", address="c"),
            binding("roles/owner", "serviceAccount:123-compute@developer.gserviceaccount.com", address="d"),
            binding("roles/owner", "user:ana@x.com", address="e"),
            binding("roles/notebooks.viewer", "serviceAccount:nb@p.iam.gserviceaccount.com", address="f"),
        )
    )
    assert {r for r, _ in flagged("service-account-admin-privileges", intent)} == {"a", "b"}


def test_public_and_basic_roles() -> None:
    intent = Intent(
        bindings=(
            binding("roles/viewer", "allAuthenticatedUsers", "user:ana@x.com", address="a"),
            binding("roles/owner", "domain:x.com", address="b"),
        )
    )
    assert flagged("public-principal", intent) == {("a", "allAuthenticatedUsers")}
    assert flagged("basic-role-human", intent) == {("b", "domain:x.com")}


def test_default_compute_service_account_including_unresolved() -> None:
    intent = Intent(
        instances=(
            instance("ok"),
            instance("none", service_account="default"),
            instance("numbered", service_account="98765-compute@developer.gserviceaccount.com"),
            instance("unknown", service_account=Unresolved("var.sa")),
        )
    )
    findings = {f.resource: f.message for f in run("default-compute-service-account", intent)}
    assert set(findings) == {"none", "numbered", "unknown"}
    assert "the Compute Engine default service account (none set)" in findings["none"]
    assert "runs as the account in var.sa, which has no value here: pass it in to check it" in findings["unknown"]


def test_instance_settings_unknown_is_never_safe() -> None:
    intent = Intent(
        instances=(
            instance("ok"),
            instance("public", public_ip=True),
            instance("maybe", public_ip=Unresolved("var.no_public_ip")),
            instance("root", metadata={}),
            instance("root-var", metadata={"notebook-disable-root": Unresolved("var.root")}),
            instance("default-shielding", shielded_vm=ShieldedVm()),
            instance("vtpm-var", shielded_vm=ShieldedVm(True, Unresolved("var.vtpm"), True)),
        )
    )
    assert {f.resource for f in run("notebook-public-ip", intent)} == {"public", "maybe"}
    assert {f.resource for f in run("notebook-root-access", intent)} == {"root", "root-var"}
    shielded = {f.resource: f.message for f in run("notebook-shielded-vm", intent)}
    assert set(shielded) == {"default-shielding", "vtpm-var"}
    assert "off: secure boot; unresolved: none" in shielded["default-shielding"]
    assert "off: none; unresolved: vTPM" in shielded["vtpm-var"]


def test_deprecated_api_key_and_conflict() -> None:
    intent = Intent(
        instances=(instance("v1", generation="v1"), instance("v2")),
        keys=(ServiceAccountKey("nb@p.iam.gserviceaccount.com", "google_service_account_key.k", Location("k.tf", 3)),),
        conflicts=(
            Conflict(
                ConflictKind.BINDING_WITH_MEMBER,
                Scope(ScopeKind.PROJECT, "p"),
                "roles/viewer",
                ("google_project_iam_binding.b", "google_project_iam_member.m"),
                (Location("iam.tf", 4), Location("iam.tf", 9)),
                "the binding removes the member's grant on every apply",
            ),
        ),
    )
    assert {f.resource for f in run("deprecated-notebooks-api", intent)} == {"v1"}
    (key,) = run("user-managed-service-account-key", intent)
    assert key.location == Location("k.tf", 3)
    (conflict,) = run("iam-resource-conflict", intent)
    assert conflict.resource == "google_project_iam_binding.b"
    assert conflict.location == Location("iam.tf", 4)
    assert "google_project_iam_binding.b, google_project_iam_member.m overwrite each other" in conflict.message


def test_unresolved_sensitive_binding() -> None:
    intent = Intent(
        bindings=(
            binding(Unresolved("var.role"), "user:ana@x.com", address="role-var"),
            binding("roles/notebooks.admin", Unresolved("var.members"), address="members-var"),
            binding("roles/notebooks.viewer", Unresolved("var.members"), address="viewer-var"),
            binding("projects/p/roles/undeclared", "user:ana@x.com", address="unknown-role"),
            binding(Unresolved("var.role"), "serviceAccount:ci@p.iam.gserviceaccount.com", address="sa-role-var"),
            binding(
                Unresolved("var.role"),
                "serviceAccount:service-1@gcp-sa-notebooks.iam.gserviceaccount.com",
                address="agent-role-var",
            ),
            binding("roles/notebooks.viewer", "user:ana@x.com", address="ok"),
        )
    )
    findings = {f.resource: f.message for f in run("unresolved-sensitive-binding", intent)}
    assert set(findings) == {"role-var", "members-var", "unknown-role", "sa-role-var"}
    assert "unresolved: var.role" in findings["role-var"]
    assert "grants roles/notebooks.admin to var.members" in findings["members-var"]
    assert "known to the role catalog: false" in findings["unknown-role"]


def test_findings_are_sorted_and_deduplicated() -> None:
    intent = Intent(
        bindings=(
            binding("roles/owner", "user:b@x.com", "user:b@x.com", address="z", line=9),
            binding("roles/owner", "user:a@x.com", address="a", line=2),
            binding("roles/owner", "allUsers", address="m", line=5),
        )
    )
    findings = evaluate(intent, list(POLICIES.values()), roles=lookup)
    keys = [(f.severity.rank, f.location.line, f.rule, f.principal) for f in findings]
    assert keys[0][0] == Severity.CRITICAL.rank
    assert [f.rule for f in findings].count("basic-role-human") == 3  # b twice in one binding counts once
    assert findings == evaluate(intent, list(reversed(POLICIES.values())), roles=lookup)
    ranks = [-f.severity.rank for f in findings]
    assert ranks == sorted(ranks)


def write_policy(directory: Path, policy_id: str, condition: str, message: str = "m", subject: str = "member") -> Path:
    path = directory / f"{policy_id}.yaml"
    path.write_text(
        f"id: {policy_id}\ntitle: t\nseverity: low\nsubject: {subject}\ncondition: {condition!r}\n"
        f"message: {message!r}\nrationale: r\nremediation: fix\nreferences: []\n"
    )
    return path


def test_evaluation_error_is_a_policy_error_not_false(tmp_path: Path) -> None:
    # A map lookup passes the load-time dry run (the sample's maps are empty) but fails on a subject without the key.
    path = write_policy(tmp_path, "metadata-owner", "instance.metadata['owner'] == 'x'", subject="instance")
    policy = load_policy_file(path)
    intent = Intent(instances=(instance("nb", metadata={"notebook-disable-root": "true"}),))
    with pytest.raises(PolicyError) as error:
        evaluate(intent, [policy], roles=lookup)
    assert str(error.value).startswith(f"{path}: metadata-owner: could not evaluate on nb: no such key: ")
    assert "owner" in str(error.value)


def test_message_template_renders_lists_bools_and_braces() -> None:
    activation = {"a": {"l": ["x", "y"], "e": [], "b": True}}
    assert render_message("{a.l} / {a.e} / {a.b} / {{literal}}", activation) == "x, y / none / true / {literal}"
    sentences = {"a": {"l": ["one, two", "three"]}}
    assert render_message("{a.l}", sentences) == "one, two; three"  # items holding commas stay apart


CHATOPS_IDS = sorted(i for i, p in POLICIES.items() if p.subject is SubjectKind.WORKFLOW)


def _risky_workflow() -> tuple:
    from auditor.workflows.reader import read_workflows

    root = Path(__file__).resolve().parent.parent.parent
    path = root / "examples/workbench-risky/.github/workflows/notebook-chatops.yml"
    workflows, errors = read_workflows([path], path.parent)
    assert errors == ()
    return workflows


def test_workflow_policies_point_each_finding_at_its_own_step() -> None:
    account = "serviceAccount:chatops@risky-project.iam.gserviceaccount.com"
    intent = Intent(bindings=(binding("roles/notebooks.admin", account, address="google_project_iam_member.c"),))
    findings = evaluate(intent, [POLICIES[i] for i in CHATOPS_IDS], roles=lookup, workflows=_risky_workflow())
    assert {f.rule: f.location.line for f in findings} == {
        "chatops-expression-injection": 21,
        "chatops-unrestricted-operation": 21,
        "chatops-overbroad-identity": 17,
        "chatops-key-credential": 17,
        "chatops-unpinned-action": 12,
    }
    assert {(f.resource, f.location.path) for f in findings} == {("notebook-chatops.yml", "notebook-chatops.yml")}
    assert findings[0].rule == "chatops-expression-injection" and findings[0].severity is Severity.CRITICAL
    unpinned = next(f for f in findings if f.rule == "chatops-unpinned-action")
    assert "uses actions/checkout@v4, google-github-actions/auth@v2 by tag" in unpinned.message
    # Without workflows, workflow policies have nothing to evaluate; the Terraform policies are unaffected.
    assert evaluate(intent, [POLICIES[i] for i in CHATOPS_IDS], roles=lookup) == []


def test_memoized_verdicts_keep_each_subjects_own_message() -> None:
    # Same role, kind and scope: one evaluation serves both subjects, yet each message names its own member.
    intent = Intent(
        bindings=(
            binding("roles/owner", "user:a@x.com", address="a"),
            binding("roles/owner", "user:b@x.com", address="b"),
            binding("roles/owner", "serviceAccount:ci@p.iam.gserviceaccount.com", address="c"),
        )
    )
    messages = {f.resource: f.message for f in run("basic-role-human", intent)}
    assert set(messages) == {"a", "b"}
    assert messages["a"].startswith("user:a@x.com holds") and messages["b"].startswith("user:b@x.com holds")


def test_condition_fields_fall_back_to_everything_when_unsure(tmp_path: Path) -> None:
    from auditor.policy.engine import condition_fields

    assert condition_fields(POLICIES["human-vm-control-of-notebooks"]) == {
        "principal.human",
        "binding.scope_kind",
        "role.vm_control",
        "role.project_metadata",
    }
    # A variable read as a whole (here a macro variable named like a subject) cannot be pruned safely.
    path = write_policy(tmp_path, "whole", "binding.members.exists(principal, principal == 'allUsers')")
    policy = load_policy_file(path)
    assert condition_fields(policy) is None
    intent = Intent(
        bindings=(binding("roles/viewer", "allUsers", address="p"), binding("roles/viewer", "user:a@x.com"))
    )
    assert {f.resource for f in evaluate(intent, [policy], roles=lookup)} == {"p"}


def test_cel_extension_is_shared_with_a_later_import_of_the_package() -> None:
    import subprocess
    import sys

    # Loading the extension twice in one process panics inside it; both orders must work.
    code = (
        "from auditor.policy.engine import _load_rust_cel; m = _load_rust_cel(); import cel; "
        "assert cel.compile is m.compile; print(cel.evaluate('1 + 1'))"
    )
    run_ = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert run_.stdout.strip() == "2", run_.stderr
    code = "import cel; from auditor.policy.engine import _load_rust_cel; print(_load_rust_cel().evaluate('2 + 2'))"
    run_ = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert run_.stdout.strip() == "4", run_.stderr


def test_memo_key_reads_facts_and_plain_dicts_alike_and_converts_only_unhashable_values() -> None:
    from dataclasses import dataclass

    from auditor.policy.engine import _Reader

    @dataclass(frozen=True)
    class Facts:
        name: str
        labels: tuple[str, ...]

    read = _Reader([("subject", "labels"), ("subject", "name"), ("other", "flag")])
    facts_key = read({"subject": Facts("a", ("x",)), "other": {"flag": True}})
    dict_key = read({"subject": {"name": "a", "labels": ("x",)}, "other": {"flag": True}})
    assert facts_key == dict_key
    assert read({"subject": Facts("b", ("x",)), "other": {"flag": True}}) != facts_key
    # A list or a mapping cannot be hashed as it is: the key converts them, equal contents give equal keys.
    listed = read({"subject": {"name": "a", "labels": ["x"]}, "other": {"flag": {"k": ["v"]}}})
    assert listed == read({"subject": {"name": "a", "labels": ["x"]}, "other": {"flag": {"k": ["v"]}}})
    assert hash(listed) == hash(read({"subject": {"name": "a", "labels": ["x"]}, "other": {"flag": {"k": ["v"]}}}))
    assert listed != read({"subject": {"name": "a", "labels": ["y"]}, "other": {"flag": {"k": ["v"]}}})
