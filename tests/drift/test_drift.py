"""Drift semantics on hand-built model objects: each drift id, each Terraform authority, conditions, instances."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from auditor.drift import DriftRule, compare
from auditor.live.calls import Call
from auditor.live.coverage import Coverage, Unread
from auditor.model import (
    DEFAULT_SERVICE_ACCOUNT,
    Accelerator,
    Authority,
    Binding,
    Condition,
    Finding,
    Intent,
    Location,
    NotebookInstance,
    Principal,
    Scope,
    ScopeKind,
    Severity,
    ShieldedVm,
    Unresolved,
)
from auditor.policy import load_policies

PROJECT = "acme-ml"
PROJECT_SCOPE = Scope(ScopeKind.PROJECT, PROJECT)
TF = "main.tf"
INSTANCE_NAME = f"projects/{PROJECT}/locations/europe-west4-a/instances/team-a"
SA_EMAIL = f"nb-team-a@{PROJECT}.iam.gserviceaccount.com"
NOTEBOOKS_AGENT = "serviceAccount:service-123456789012@gcp-sa-notebooks.iam.gserviceaccount.com"


def declared(
    role: str | Unresolved,
    *members: str | Unresolved,
    authority: Authority = Authority.MEMBER,
    scope: Scope = PROJECT_SCOPE,
    condition: Condition | None = None,
    address: str = "google_project_iam_member.m",
    line: int = 1,
) -> Binding:
    return Binding(
        scope=scope,
        role=role,
        members=tuple(Principal.parse(m) for m in members),
        authority=authority,
        address=address,
        location=Location(TF, line),
        condition=condition,
        unresolved=tuple(str(v) for v in (role, *members) if isinstance(v, Unresolved)),
    )


def live(role: str, *members: str, scope: Scope = PROJECT_SCOPE, condition: Condition | None = None) -> Binding:
    name = f"projects/{scope.name}" if scope.kind is ScopeKind.PROJECT else str(scope.name)
    return Binding(
        scope=scope,
        role=role,
        members=tuple(Principal.parse(m) for m in members),
        authority=Authority.LIVE,
        address=name,
        location=Location(name),
        condition=condition,
    )


def no_violations(binding: Binding, principal: Principal) -> Severity | None:
    return None


def humans_fail_admin(binding: Binding, principal: Principal) -> Severity | None:
    """Stands in for the policy engine: a human holding notebooks.admin fails a high policy."""
    return Severity.HIGH if principal.human and binding.role == "roles/notebooks.admin" else None


def run(
    declared_bindings: tuple[Binding, ...] = (),
    live_bindings: tuple[Binding, ...] = (),
    *,
    declared_instances: tuple[NotebookInstance, ...] = (),
    live_instances: tuple[NotebookInstance, ...] = (),
    violations=no_violations,
    projects: list[str] | None = [PROJECT],  # noqa: B006 - read only
    unread: tuple[Unread, ...] = (),
) -> list[Finding]:
    """Compare; `projects` None lets drift infer what was read from the live side."""
    coverage = None if projects is None else Coverage(frozenset(projects), unread=frozenset(unread))
    return compare(
        Intent(bindings=declared_bindings, instances=declared_instances),
        Intent(bindings=live_bindings, instances=live_instances),
        live_violations=violations,
        coverage=coverage,
    )


def summary(findings: list[Finding]) -> set[tuple[str, str | None, str | None, Severity]]:
    return {(f.rule, f.role, f.principal, f.severity) for f in findings}


# --- authority kinds ---


def test_policy_is_exact_for_the_whole_scope() -> None:
    policy = (
        declared(
            "roles/viewer", "user:a@acme.example", authority=Authority.POLICY, address="google_project_iam_policy.p"
        ),
    )
    findings = run(
        policy,
        (
            live("roles/viewer", "user:a@acme.example", "user:b@acme.example"),
            live("roles/notebooks.admin", "user:c@acme.example"),
        ),
        violations=humans_fail_admin,
    )
    assert summary(findings) == {
        ("drift-unexpected-member", "roles/viewer", "user:b@acme.example", Severity.MEDIUM),
        ("drift-unexpected-member", "roles/notebooks.admin", "user:c@acme.example", Severity.HIGH),
    }
    assert all(f.resource == "google_project_iam_policy.p" and f.location == Location(TF, 1) for f in findings)
    assert all("next apply removes it" in f.message for f in findings)


def test_empty_policy_still_owns_its_scope() -> None:
    # An `_iam_policy` whose policy_data has one empty binding: Terraform claims the policy; all else live is drift.
    policy = (declared("roles/viewer", authority=Authority.POLICY, address="google_project_iam_policy.p"),)
    findings = run(policy, (live("roles/editor", "user:x@acme.example"),))
    assert summary(findings) == {("drift-unexpected-member", "roles/editor", "user:x@acme.example", Severity.MEDIUM)}


def test_binding_owns_its_role_condition_pair_only() -> None:
    binding = (
        declared(
            "roles/notebooks.viewer",
            "group:users@acme.example",
            authority=Authority.BINDING,
            address="google_project_iam_binding.viewers",
        ),
    )
    findings = run(
        binding,
        (
            live("roles/notebooks.viewer", "group:users@acme.example", "user:extra@acme.example"),
            live(
                "roles/notebooks.viewer",
                "user:conditional@acme.example",
                condition=Condition("request.time < timestamp('2030-01-01T00:00:00Z')", "temp"),
            ),
            live("roles/notebooks.admin", "user:admin@acme.example"),
        ),
        violations=humans_fail_admin,
    )
    assert summary(findings) == {
        ("drift-unexpected-member", "roles/notebooks.viewer", "user:extra@acme.example", Severity.MEDIUM),
        # Same role under another condition: a different binding, not owned, so unmanaged rather than drift.
        ("unmanaged-grant", "roles/notebooks.viewer", "user:conditional@acme.example", Severity.INFO),
        ("unmanaged-grant", "roles/notebooks.admin", "user:admin@acme.example", Severity.HIGH),
    }
    unexpected = next(f for f in findings if f.rule == "drift-unexpected-member")
    assert unexpected.resource == "google_project_iam_binding.viewers"
    assert unexpected.location == Location(TF, 1)
    unmanaged = next(f for f in findings if f.principal == "user:admin@acme.example")
    assert unmanaged.location == Location(f"projects/{PROJECT}") and unmanaged.resource == f"projects/{PROJECT}"


def test_empty_binding_owns_its_pair() -> None:
    findings = run(
        (declared("roles/editor", authority=Authority.BINDING, address="google_project_iam_binding.nobody"),),
        (live("roles/editor", "user:x@acme.example"),),
    )
    assert summary(findings) == {("drift-unexpected-member", "roles/editor", "user:x@acme.example", Severity.MEDIUM)}


def test_member_asserts_presence_only() -> None:
    member = (declared("roles/notebooks.viewer", "group:users@acme.example"),)
    findings = run(
        member,
        (live("roles/notebooks.viewer", "group:users@acme.example", "user:x@acme.example"),),
    )
    assert summary(findings) == {("unmanaged-grant", "roles/notebooks.viewer", "user:x@acme.example", Severity.INFO)}
    assert "does not manage" in findings[0].message


def test_unmanaged_grant_takes_the_worst_policy_severity() -> None:
    def critical(binding: Binding, principal: Principal) -> Severity | None:
        return Severity.CRITICAL if principal.public else None

    findings = run((), (live("roles/notebooks.viewer", "allUsers"),), violations=critical)
    assert summary(findings) == {("unmanaged-grant", "roles/notebooks.viewer", "allUsers", Severity.CRITICAL)}


def test_member_remove_asserts_absence() -> None:
    remove = (
        declared(
            "roles/editor",
            "user:old@acme.example",
            authority=Authority.REMOVE,
            address="google_project_iam_member_remove.old",
            line=7,
        ),
    )
    still_there = run(remove, (live("roles/editor", "user:old@acme.example"),))
    assert summary(still_there) == {("drift-missing-member", "roles/editor", "user:old@acme.example", Severity.MEDIUM)}
    assert still_there[0].location == Location(TF, 7)
    assert "still present" in still_there[0].message
    assert run(remove, (live("roles/viewer", "user:old@acme.example"),))[0].rule == "unmanaged-grant"
    assert run(remove, ()) == []


def test_declared_member_absent_live_is_missing() -> None:
    findings = run((declared("roles/notebooks.viewer", "group:users@acme.example", line=12),), ())
    assert summary(findings) == {
        ("drift-missing-member", "roles/notebooks.viewer", "group:users@acme.example", Severity.MEDIUM)
    }
    assert findings[0].location == Location(TF, 12)
    assert findings[0].resource == "google_project_iam_member.m"


def test_in_sync_is_empty_and_emails_compare_case_insensitively() -> None:
    findings = run(
        (declared("roles/notebooks.viewer", "group:Users@Acme.example"),),
        (live("roles/notebooks.viewer", "group:users@acme.example"),),
    )
    assert findings == []


# --- conditions ---

EXPIRY = "request.time < timestamp('2030-01-01T00:00:00Z')"


def test_condition_title_is_cosmetic() -> None:
    findings = run(
        (declared("roles/notebooks.viewer", "user:a@acme.example", condition=Condition(EXPIRY, "until 2030")),),
        (live("roles/notebooks.viewer", "user:a@acme.example", condition=Condition(EXPIRY, "renamed", "edited")),),
    )
    assert findings == []


def test_conditional_declared_unconditional_live_is_privilege_expansion() -> None:
    findings = run(
        (declared("roles/notebooks.admin", "user:a@acme.example", condition=Condition(EXPIRY, "t"), line=3),),
        (live("roles/notebooks.admin", "user:a@acme.example"),),
    )
    assert summary(findings) == {
        ("drift-privilege-expansion", "roles/notebooks.admin", "user:a@acme.example", Severity.HIGH)
    }
    (finding,) = findings
    assert finding.location == Location(TF, 3)
    assert finding.drift.declared == f"`{EXPIRY}`" and finding.drift.live == "(no condition)"


def test_different_condition_expression_is_a_different_binding() -> None:
    other = "request.time < timestamp('2099-01-01T00:00:00Z')"
    findings = run(
        (declared("roles/notebooks.admin", "user:a@acme.example", condition=Condition(EXPIRY, "t")),),
        (live("roles/notebooks.admin", "user:a@acme.example", condition=Condition(other, "t")),),
    )
    assert [f.rule for f in findings] == ["drift-privilege-expansion"]
    assert findings[0].drift.live == other


def test_unconditional_grant_beside_the_declared_conditional_one_is_expansion() -> None:
    findings = run(
        (declared("roles/notebooks.admin", "user:a@acme.example", condition=Condition(EXPIRY, "t")),),
        (
            live("roles/notebooks.admin", "user:a@acme.example", condition=Condition(EXPIRY, "t")),
            live("roles/notebooks.admin", "user:a@acme.example"),
        ),
    )
    assert [f.rule for f in findings] == ["drift-privilege-expansion"]


def test_conditional_binding_owns_only_the_conditional_pair() -> None:
    binding = declared(
        "roles/notebooks.viewer",
        "user:a@acme.example",
        authority=Authority.BINDING,
        condition=Condition(EXPIRY, "t"),
        address="google_project_iam_binding.temp",
    )
    findings = run(
        (binding,),
        (
            live("roles/notebooks.viewer", "user:a@acme.example", "user:b@acme.example", condition=Condition(EXPIRY)),
            live("roles/notebooks.viewer", "user:c@acme.example"),
        ),
    )
    assert summary(findings) == {
        ("drift-unexpected-member", "roles/notebooks.viewer", "user:b@acme.example", Severity.MEDIUM),
        ("unmanaged-grant", "roles/notebooks.viewer", "user:c@acme.example", Severity.INFO),
    }


# --- scopes ---


def test_service_account_scope_matches_terraform_name_to_live_email() -> None:
    tf_scope = Scope(ScopeKind.SERVICE_ACCOUNT, f"projects/{PROJECT}/serviceAccounts/{SA_EMAIL}")
    live_scope = Scope(ScopeKind.SERVICE_ACCOUNT, SA_EMAIL)
    findings = run(
        (declared("roles/iam.serviceAccountUser", "group:users@acme.example", scope=tf_scope),),
        (live("roles/iam.serviceAccountUser", "group:users@acme.example", "user:x@acme.example", scope=live_scope),),
    )
    assert summary(findings) == {
        ("unmanaged-grant", "roles/iam.serviceAccountUser", "user:x@acme.example", Severity.INFO)
    }


def test_instance_scope_binding() -> None:
    scope = Scope(ScopeKind.WORKBENCH_INSTANCE, INSTANCE_NAME)
    findings = run(
        (
            declared(
                "roles/notebooks.viewer",
                "group:users@acme.example",
                authority=Authority.BINDING,
                scope=scope,
                address="google_workbench_instance_iam_binding.b",
            ),
        ),
        (live("roles/notebooks.viewer", "group:users@acme.example", "user:x@acme.example", scope=scope),),
        declared_instances=(instance(),),
        live_instances=(instance(live_side=True),),
    )
    assert summary(findings) == {
        ("drift-unexpected-member", "roles/notebooks.viewer", "user:x@acme.example", Severity.MEDIUM)
    }


def test_projects_not_read_are_not_compared() -> None:
    other = Scope(ScopeKind.PROJECT, "someone-elses-project")
    findings = run(
        (declared("roles/viewer", "user:a@acme.example", scope=other),),
        (live("roles/viewer", "user:b@acme.example"),),
        projects=None,  # inferred from the live side: only acme-ml was read
    )
    assert [f.rule for f in findings] == ["unmanaged-grant"]
    # ... unless the caller says that project was read.
    findings = run(
        (declared("roles/viewer", "user:a@acme.example", scope=other),),
        (),
        projects=["someone-elses-project"],
    )
    assert [f.rule for f in findings] == ["drift-missing-member"]


def test_unread_scopes_claim_nothing() -> None:
    sa = Scope(ScopeKind.SERVICE_ACCOUNT, SA_EMAIL)
    bindings = (declared("roles/iam.serviceAccountUser", "group:users@acme.example", scope=sa),)
    assert [f.rule for f in run(bindings, (), projects=[PROJECT])] == ["drift-missing-member"]
    assert [f.rule for f in run(bindings, (), projects=[PROJECT])] == ["drift-missing-member"]
    assert run(bindings, (), unread=(Unread(Call.SERVICE_ACCOUNT_IAM, PROJECT, SA_EMAIL),)) == []
    assert run(bindings, (), unread=(Unread(Call.SERVICE_ACCOUNTS, PROJECT),)) == []
    # Another account's IAM, or another project's listing, failing says nothing about this one.
    other = f"other@{PROJECT}.iam.gserviceaccount.com"
    assert len(run(bindings, (), unread=(Unread(Call.SERVICE_ACCOUNT_IAM, PROJECT, other),))) == 1
    assert len(run(bindings, (), unread=(Unread(Call.SERVICE_ACCOUNTS, "elsewhere"),))) == 1


# --- service agents ---


def test_service_agent_grants_are_labelled_and_info() -> None:
    findings = run((), (live("roles/notebooks.serviceAgent", NOTEBOOKS_AGENT),))
    assert summary(findings) == {("unmanaged-grant", "roles/notebooks.serviceAgent", NOTEBOOKS_AGENT, Severity.INFO)}
    assert "Google-managed service agent" in findings[0].message


def test_service_agent_in_an_owned_pair_warns_that_apply_breaks_the_service() -> None:
    findings = run(
        (
            declared(
                "roles/notebooks.serviceAgent", authority=Authority.BINDING, address="google_project_iam_binding.b"
            ),
        ),
        (live("roles/notebooks.serviceAgent", NOTEBOOKS_AGENT),),
    )
    assert [f.rule for f in findings] == ["drift-unexpected-member"]
    assert "Google-managed service agent" in findings[0].message
    assert "break" in findings[0].message


def test_plain_service_account_is_not_labelled_a_service_agent() -> None:
    findings = run((), (live("roles/notebooks.admin", f"serviceAccount:chatops@{PROJECT}.iam.gserviceaccount.com"),))
    assert "service agent" not in findings[0].message


# --- unresolved declarations ---


def test_unresolved_member_never_yields_a_false_verdict() -> None:
    binding = declared(
        "roles/notebooks.viewer",
        "group:users@acme.example",
        Unresolved("var.extra_member"),
        authority=Authority.BINDING,
        address="google_project_iam_binding.viewers",
    )
    findings = run(
        (binding,),
        (live("roles/notebooks.viewer", "group:users@acme.example", "user:maybe@acme.example"),),
    )
    # The extra live member may be what var.extra_member resolves to: neither "unexpected" nor silently fine.
    assert [f.rule for f in findings] == ["drift-unresolved"]
    assert findings[0].severity is Severity.INFO
    assert "var.extra_member" in findings[0].message and "user:maybe@acme.example" in findings[0].message


def test_unresolved_role_is_reported_and_its_members_not_called_unmanaged() -> None:
    binding = declared(Unresolved("var.role"), "user:a@acme.example")
    findings = run((binding,), (live("roles/notebooks.admin", "user:a@acme.example"),))
    assert [f.rule for f in findings] == ["drift-unresolved"]
    # With nothing live it could be, the note stays and nothing is claimed missing.
    assert [f.rule for f in run((binding,), ())] == ["drift-unresolved"]


def test_unresolved_scope_is_reported() -> None:
    binding = declared(
        "roles/iam.serviceAccountUser",
        "group:users@acme.example",
        scope=Scope(ScopeKind.SERVICE_ACCOUNT, Unresolved("var.sa_name")),
    )
    findings = run((binding,), (live("roles/viewer", "user:a@acme.example"),))
    assert sorted(f.rule for f in findings) == ["drift-unresolved", "unmanaged-grant"]


# --- instances ---


def instance(
    *,
    live_side: bool = False,
    name: str | Unresolved = "team-a",
    generation: str = "v2",
    address: str = 'google_workbench_instance.notebook["team-a"]',
    **fields,
) -> NotebookInstance:
    values = {
        "machine_type": "n1-standard-8",
        "accelerators": (Accelerator("NVIDIA_TESLA_T4", 1),),
        "image": "cloud-notebooks-managed/family:workbench-instances",
        "service_account": SA_EMAIL,
        "public_ip": False,
        "shielded_vm": ShieldedVm(True, True, True),
    }
    values.update(fields)
    if live_side:
        full = f"projects/{PROJECT}/locations/europe-west4-a/instances/{name}"
        return NotebookInstance(
            name=name, project=PROJECT, zone="europe-west4-a", generation=generation, address=full,
            location=Location(full), **values,
        )  # fmt: skip
    return NotebookInstance(
        name=name, project=PROJECT, zone="europe-west4-a", generation=generation, address=address,
        location=Location("instances.tf", 20), **values,
    )  # fmt: skip


def config_drift(declared_fields: dict, live_fields: dict, generation: str = "v2") -> list[Finding]:
    return run(
        declared_instances=(instance(generation=generation, **declared_fields),),
        live_instances=(instance(live_side=True, generation=generation, **live_fields),),
    )


def test_matching_instance_is_clean() -> None:
    assert config_drift({}, {}) == []


@pytest.mark.parametrize(
    ("field", "declared_value", "live_value", "severity"),
    [
        ("machine_type", "n1-standard-8", "n1-standard-32", Severity.MEDIUM),
        ("accelerators", (Accelerator("NVIDIA_TESLA_T4", 1),), (Accelerator("NVIDIA_TESLA_V100", 2),), Severity.MEDIUM),
        ("accelerators", (Accelerator("NVIDIA_TESLA_T4", 1),), (), Severity.MEDIUM),
        ("image", "cloud-notebooks-managed/family:workbench-instances", "deeplearning-platform-release/family:x", None),
        ("service_account", SA_EMAIL, "123456789012-compute@developer.gserviceaccount.com", Severity.HIGH),
        ("public_ip", False, True, Severity.MEDIUM),
        ("shielded_vm", ShieldedVm(True, True, True), ShieldedVm(False, True, True), Severity.MEDIUM),
    ],
)
def test_each_instance_field(field: str, declared_value, live_value, severity: Severity | None) -> None:
    findings = config_drift({field: declared_value}, {field: live_value})
    assert len(findings) == 1
    (finding,) = findings
    assert finding.rule == "drift-instance-config"
    assert finding.severity is (severity or Severity.MEDIUM)
    assert (finding.drift.field if finding.drift else None) == (
        "shielded_vm.secure_boot" if field == "shielded_vm" else field
    )
    assert (
        finding.drift.declared is not None
        and finding.drift.live is not None
        and finding.drift.declared != finding.drift.live
    )
    assert finding.location == Location("instances.tf", 20)
    assert finding.resource == 'google_workbench_instance.notebook["team-a"]'


def test_recreated_on_default_service_account_says_so() -> None:
    (finding,) = config_drift({}, {"service_account": "123456789012-compute@developer.gserviceaccount.com"})
    assert finding.severity is Severity.HIGH
    assert "default compute service account" in finding.message and "recreated" in finding.message
    assert finding.drift.live == "123456789012-compute@developer.gserviceaccount.com"


def test_declared_default_service_account_equals_live_compute_account() -> None:
    findings = config_drift(
        {"service_account": DEFAULT_SERVICE_ACCOUNT},
        {"service_account": "123456789012-compute@developer.gserviceaccount.com"},
    )
    assert findings == []


def test_v1_instance_machine_type_url_and_fields() -> None:
    url = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/zones/europe-west4-a/machineTypes/n1-standard-8"
    assert config_drift({}, {"machine_type": url}, generation="v1") == []
    (finding,) = config_drift({"public_ip": True}, {"public_ip": False}, generation="v1")
    assert ((finding.drift.field if finding.drift else None), finding.drift.declared, finding.drift.live) == (
        "public_ip",
        "true",
        "false",
    )
    # A v1 instance is not the same resource as a v2 instance of the same name.
    mixed = run(declared_instances=(instance(generation="v1"),), live_instances=(instance(live_side=True),))
    assert sorted(f.rule for f in mixed) == ["drift-missing-instance", "unmanaged-instance"]


def test_unset_declared_fields_are_not_compared() -> None:
    assert config_drift({"machine_type": None, "image": None, "shielded_vm": ShieldedVm()}, {}) == []


def test_unresolved_declared_field_is_reported_not_assumed_equal() -> None:
    findings = config_drift({"machine_type": Unresolved("var.machine_type")}, {"machine_type": "n1-standard-8"})
    (finding,) = findings
    assert finding.rule == "drift-unresolved" and finding.severity is Severity.INFO
    assert (finding.drift.field if finding.drift else None) == "machine_type" and "var.machine_type" in finding.message
    (accel,) = config_drift({"accelerators": (Accelerator(Unresolved("var.gpu"), 1),)}, {})
    assert accel.rule == "drift-unresolved" and (accel.drift.field if accel.drift else None) == "accelerators"


def test_unmanaged_and_missing_instances() -> None:
    findings = run(
        declared_instances=(
            instance(),
            instance(name="team-b", address='google_workbench_instance.notebook["team-b"]'),
        ),
        live_instances=(instance(live_side=True), instance(live_side=True, name="jdoe-scratch")),
    )
    assert {(f.rule, f.resource, f.severity) for f in findings} == {
        ("drift-missing-instance", 'google_workbench_instance.notebook["team-b"]', Severity.MEDIUM),
        (
            "unmanaged-instance",
            f"projects/{PROJECT}/locations/europe-west4-a/instances/jdoe-scratch",
            Severity.MEDIUM,
        ),
    }
    unmanaged = next(f for f in findings if f.rule == "unmanaged-instance")
    assert unmanaged.location == Location(f"projects/{PROJECT}/locations/europe-west4-a/instances/jdoe-scratch")


def test_missing_instance_does_not_repeat_its_iam_as_missing_members() -> None:
    scope = Scope(ScopeKind.WORKBENCH_INSTANCE, INSTANCE_NAME)
    findings = run(
        (declared("roles/notebooks.viewer", "group:users@acme.example", scope=scope),),
        declared_instances=(instance(),),
        projects=[PROJECT],
    )
    assert [f.rule for f in findings] == ["drift-missing-instance"]


def test_unresolved_instance_name_is_not_called_missing_nor_its_candidate_unmanaged() -> None:
    findings = run(
        declared_instances=(instance(name=Unresolved("var.name")),),
        live_instances=(instance(live_side=True),),
    )
    assert [f.rule for f in findings] == ["drift-unresolved"]
    assert INSTANCE_NAME in findings[0].message


# --- the whole ---


def test_order_is_deterministic() -> None:
    declared_bindings = [
        declared("roles/notebooks.viewer", "group:users@acme.example", address="a", line=1),
        declared("roles/viewer", "user:a@acme.example", authority=Authority.POLICY, address="p", line=5),
        declared("roles/editor", "user:gone@acme.example", address="c", line=9),
    ]
    live_bindings = [
        live("roles/viewer", "user:a@acme.example", "user:z@acme.example", "user:b@acme.example"),
        live("roles/notebooks.admin", "user:x@acme.example", NOTEBOOKS_AGENT),
    ]
    first = run(tuple(declared_bindings), tuple(live_bindings))
    for seed in range(5):
        random.Random(seed).shuffle(declared_bindings)
        random.Random(seed).shuffle(live_bindings)
        assert run(tuple(declared_bindings), tuple(live_bindings)) == first
    assert len(first) == 6


def test_every_rule_has_a_title_and_remediation() -> None:
    ids = {
        "drift-unexpected-member",
        "unmanaged-grant",
        "drift-missing-member",
        "drift-privilege-expansion",
        "drift-instance-config",
        "unmanaged-instance",
        "drift-missing-instance",
        "drift-custom-role",
        "drift-unresolved",
    }
    assert {rule.value for rule in DriftRule} == ids
    registry = {p.id: p for p in load_policies()}
    assert all(registry[rule].title and registry[rule].remediation for rule in ids)


def test_check_and_the_drift_package_never_import_the_google_libraries(repo_root) -> None:
    from auditor.examples import WORKBENCH

    code = (
        "import sys, pkgutil, importlib, auditor.drift\n"
        "for module in pkgutil.iter_modules(auditor.drift.__path__):\n"
        "    importlib.import_module('auditor.drift.' + module.name)\n"
        "from auditor.cli import main\n"
        f"code = main(['check', {str(WORKBENCH)!r}, '--format', 'json', '--output', '/dev/null'])\n"
        "print(code, sorted({m.split('.')[0] + '.' + m.split('.')[1] if '.' in m else m for m in sys.modules\n"
        "    if m.startswith(('google', 'grpc'))}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo_root, timeout=60)
    assert result.returncode == 0, result.stderr
    exit_code, _, imported = result.stdout.strip().partition(" ")
    assert exit_code in ("0", "1")  # the audit ran (findings or not)
    assert imported == "[]"


def test_keys_of_every_kind_sort_and_hash() -> None:
    from auditor.drift.keys import GrantKey, ScopeKey

    scopes = [ScopeKey(kind, f"n{i}") for i, kind in enumerate(reversed(ScopeKind))]
    assert [k.kind.value for k in sorted(scopes)] == sorted(k.value for k in ScopeKind)
    grants = {GrantKey(scope, "roles/viewer", "", "user:a@b.c") for scope in scopes * 2}
    assert len(grants) == len(scopes) and sorted(grants)[0].scope == min(scopes)


def test_a_project_named_by_its_number_compares_as_its_id() -> None:
    from auditor.model import Project

    by_number = Scope(ScopeKind.PROJECT, "projects/123456789012")
    declared_intent = Intent(bindings=(declared("roles/viewer", "user:a@acme.example", scope=by_number),))
    live_intent = Intent(
        bindings=(live("roles/viewer", "user:a@acme.example"),), projects=(Project(PROJECT, "123456789012"),)
    )
    assert compare(declared_intent, live_intent, live_violations=no_violations) == []


def test_failed_instance_listing_claims_no_missing_or_unmanaged_instance() -> None:
    assert run(declared_instances=(instance(),), unread=(Unread(Call.V2_INSTANCES, PROJECT),)) == []
    zone_unreachable = Unread(Call.V2_INSTANCES, PROJECT, "europe-west4-a")
    assert run(declared_instances=(instance(),), unread=(zone_unreachable,)) == []
    elsewhere = (Unread(Call.V2_INSTANCES, PROJECT, "us-central1-b"), Unread(Call.V1_INSTANCES, PROJECT))
    assert [f.rule for f in run(declared_instances=(instance(),), unread=elsewhere)] == ["drift-missing-instance"]
    assert [f.rule for f in run(declared_instances=(instance(),))] == ["drift-missing-instance"]


def test_policy_declaring_a_conditional_grant_reports_expansion_not_unexpected() -> None:
    policy = declared(
        "roles/notebooks.admin",
        "user:a@acme.example",
        authority=Authority.POLICY,
        condition=Condition(EXPIRY, "t"),
        address="google_project_iam_policy.p",
    )
    findings = run((policy,), (live("roles/notebooks.admin", "user:a@acme.example"),))
    assert [f.rule for f in findings] == ["drift-privilege-expansion"]


def test_failed_instance_iam_read_still_compares_the_instance_config() -> None:
    scope = Scope(ScopeKind.WORKBENCH_INSTANCE, INSTANCE_NAME)
    findings = run(
        (declared("roles/notebooks.viewer", "group:users@acme.example", scope=scope),),
        declared_instances=(instance(),),
        live_instances=(instance(live_side=True, machine_type="n1-standard-32"),),
        unread=(Unread(Call.V2_INSTANCE_IAM, PROJECT, INSTANCE_NAME),),
    )
    assert [(f.rule, (f.drift.field if f.drift else None)) for f in findings] == [
        ("drift-instance-config", "machine_type")
    ]
