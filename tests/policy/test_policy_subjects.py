"""Subjects: every activation exposes exactly the documented variables, and unknowns never read as safe."""

from __future__ import annotations

from pathlib import Path

from auditor.model import (
    Conflict,
    ConflictKind,
    Location,
    Principal,
    Scope,
    ScopeKind,
    ServiceAccount,
    ServiceAccountKey,
    ShieldedVm,
    Unresolved,
)
from auditor.policy.docs import variables_markdown
from auditor.policy.facts import (
    VARIABLES,
    PrincipalFacts,
    Subject,
    binding_activation,
    binding_subject,
    conflict_subject,
    instance_subject,
    key_subject,
    member_subjects,
    sample_activation,
    service_account_subject,
    workflow_subjects,
)
from auditor.policy.facts.base import as_activation
from auditor.policy.schema import SubjectKind
from auditor.roles.catalog import RoleFacts
from tests.policy_helpers import FACT_NAMES, binding, instance, lookup


def plain(subject: Subject) -> dict:
    """The subject's facts as CEL sees them (lists and maps)."""
    return as_activation(subject.activation)


RISKY_WORKFLOW = (
    Path(__file__).resolve().parent.parent.parent / "examples/workbench-risky/.github/workflows/notebook-chatops.yml"
)


def flatten(activation: dict) -> set[str]:
    return {f"{top}.{name}" for top, fields in activation.items() for name in fields}


def _workflow_subjects() -> list[Subject]:
    from auditor.model import Intent
    from auditor.workflows.reader import read_workflow

    workflow = read_workflow(RISKY_WORKFLOW.read_text(), "notebook-chatops.yml")
    admin = binding("roles/notebooks.admin", "serviceAccount:chatops@risky-project.iam.gserviceaccount.com", line=7)
    return list(workflow_subjects([workflow], Intent(bindings=(admin,)), lookup))


def all_subjects() -> list[Subject]:
    b = binding("roles/notebooks.admin", "user:a@x.com")
    return [
        *_workflow_subjects(),
        *member_subjects(b, binding_activation(b, lookup)),
        binding_subject(b, binding_activation(b, lookup)),
        instance_subject(instance()),
        service_account_subject(ServiceAccount("a@p.iam.gserviceaccount.com", "p", "sa", Location("m.tf", 1))),
        key_subject(ServiceAccountKey("a@p.iam.gserviceaccount.com", "key", Location("m.tf", 1))),
        conflict_subject(
            Conflict(ConflictKind.DUPLICATE_POLICY, Scope(ScopeKind.PROJECT, "p"), None, ("x", "y"), (), "twice")
        ),
        *_escalation_subjects(),
    ]


def _escalation_subjects() -> list[Subject]:
    from auditor.access.subjects import escalation_subjects
    from auditor.model import Authority, Binding, Intent

    grant = Binding(
        Scope(ScopeKind.SERVICE_ACCOUNT, "ops@p.iam.gserviceaccount.com"),
        "roles/iam.serviceAccountTokenCreator",
        (Principal.parse("user:a@x.com"),),
        Authority.MEMBER,
        "token",
        Location("m.tf", 1),
    )
    admin = binding("roles/notebooks.admin", "serviceAccount:ops@p.iam.gserviceaccount.com")
    return list(escalation_subjects(Intent(bindings=(grant, admin))))


def test_activations_expose_exactly_the_documented_variables() -> None:
    subjects = all_subjects()
    assert {s.kind for s in subjects} == set(SubjectKind)
    for subject in subjects:
        assert flatten(plain(subject)) == {v.name for v in VARIABLES[subject.kind]}, subject.kind
        assert flatten(sample_activation(subject.kind)) == {v.name for v in VARIABLES[subject.kind]}


def test_docs_are_generated_from_the_variables(repo_root: Path) -> None:
    doc = (repo_root / "docs" / "policy-variables.md").read_text()
    assert doc == variables_markdown(), "regenerate docs/policy-variables.md (command at the top of the file)"
    assert "| `principal.default_compute_service_account` | bool |" in doc


def test_workflow_subject_is_judged_by_the_engine_role_lookup_and_locates_per_policy() -> None:
    (subject,) = _workflow_subjects()
    facts = plain(subject)["workflow"]
    # The test lookup knows no notebooks.admin permissions, only facts: so no surplus from it, and the identity
    # counts as checked only where every account is literal (the key step names none).
    assert facts["identity_roles"] == ["roles/notebooks.admin"] and facts["identity_surplus_permissions"] == []
    assert facts["identity_checked"] is False
    assert subject.resource == "notebook-chatops.yml"
    # Each chatops policy names the line its finding points at in its own file (`line:`), not in a Python table.
    from auditor.policy import load_policies
    from auditor.policy.engine import _location

    policies = {p.id: p for p in load_policies()}
    assert _location(subject, policies["chatops-expression-injection"]) == Location("notebook-chatops.yml", 21)
    assert _location(subject, policies["chatops-unpinned-action"]) == Location("notebook-chatops.yml", 12)
    assert policies["chatops-unpinned-action"].line == "workflow.unpinned_line"


def test_principal_facts() -> None:
    def facts(member: str) -> PrincipalFacts:
        return PrincipalFacts.of(Principal.parse(member))

    assert facts("serviceAccount:nb@p.iam.gserviceaccount.com").user_managed_service_account is True
    assert facts("serviceAccount:service-12@gcp-sa-notebooks.iam.gserviceaccount.com").service_agent is True
    assert (
        facts("serviceAccount:service-12@gcp-sa-notebooks.iam.gserviceaccount.com").user_managed_service_account
        is False
    )
    default = facts("serviceAccount:4242-compute@developer.gserviceaccount.com")
    assert default.default_compute_service_account is True
    assert default.user_managed_service_account is False
    unresolved = PrincipalFacts.of(Principal.parse(Unresolved("var.m")))
    assert unresolved.unresolved is True and unresolved.member == "var.m"
    assert facts("allUsers").public is True and facts("allUsers").human is True


def test_unresolved_binding_parts_are_flagged_and_listed() -> None:
    b = binding(Unresolved("var.role"), "user:a@x.com", Unresolved("local.more"), scope_name=Unresolved("var.p"))
    (subject, _) = member_subjects(b, binding_activation(b, lookup))
    variables = plain(subject)["binding"]
    assert variables["role"] == "var.role" and variables["role_unresolved"] is True
    assert variables["members_unresolved"] is True and variables["scope_unresolved"] is True
    assert variables["unresolved"] is True
    assert variables["unresolved_expressions"] == ["var.role", "local.more", "var.p"]
    role = plain(subject)["role"]
    assert role["known"] is False and role["unresolved"] is True and role["permissions"] == []
    assert not any(role[name] for name in ("notebook_admin", "act_as", "sensitive"))


def test_role_facts_come_from_the_catalog_lookup() -> None:
    b = binding("projects/p/roles/resizer", "user:a@x.com")
    (subject,) = member_subjects(b, binding_activation(b, lookup))
    role = subject.activation["role"]
    assert "notebooks.instances.setMachineType" in role.permissions
    assert role.sensitive is True and role.notebook_reconfigure is True and role.act_as is False
    assert plain(subject)["role"]["permissions"] == sorted(role.permissions)


def test_every_catalog_fact_is_a_documented_role_variable() -> None:
    """A fact added to `RoleFacts` (with its annotation) reaches the policies and the docs with no second list."""
    documented = {v.name for v in VARIABLES[SubjectKind.MEMBER]}
    assert {f"role.{name}" for name in FACT_NAMES} <= documented
    assert len(FACT_NAMES) >= 17 and "notebook_admin" in FACT_NAMES
    from dataclasses import fields

    assert {f.name for f in fields(RoleFacts)} - {"role", "permissions"} == set(FACT_NAMES)


def test_instance_unknowns_never_look_safe() -> None:
    variables = instance_subject(
        instance(
            service_account=Unresolved("var.sa"),
            public_ip=Unresolved("var.no_public_ip"),
            metadata={"notebook-disable-root": Unresolved("var.root")},
            shielded_vm=ShieldedVm(Unresolved("var.sb"), None, False),
        )
    )
    variables = plain(variables)["instance"]
    assert variables["service_account_unresolved"] is True
    assert variables["uses_default_service_account"] is False  # unresolved is reported by the flag, not hidden
    assert variables["public_ip"] is False and variables["public_ip_unresolved"] is True
    assert variables["root_access_unresolved"] is True
    assert variables["secure_boot"] is False
    assert variables["shielded_unresolved"] == ["secure boot"]
    assert variables["shielded_disabled"] == ["integrity monitoring"]
    assert variables["vtpm"] is True  # the API default when not declared
    assert set(variables["unresolved_expressions"]) == {"var.sa", "var.no_public_ip", "var.root", "var.sb"}


def test_instance_defaults() -> None:
    variables = plain(instance_subject(instance(service_account="default", metadata={}, public_ip=True)))["instance"]
    assert variables["uses_default_service_account"] is True
    assert variables["root_access"] is True and variables["disable_root_text"] == "not set"
    assert variables["public_ip"] is True and variables["public_ip_text"] == "true"


def test_documented_example_policy_loads_and_works(repo_root: Path, tmp_path: Path) -> None:
    import re

    from auditor.policy import load_policy_file
    from auditor.policy.engine import evaluate

    doc = (repo_root / "docs" / "policy-variables.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert example is not None
    path = tmp_path / "no-domain-wide-notebook-users.yaml"
    path.write_text(example.group(1))
    policy = load_policy_file(path)

    from auditor.model import Intent

    def roles(role: str) -> RoleFacts:
        return RoleFacts.from_permissions(role, frozenset({"notebooks.instances.use"}))

    intent = Intent(bindings=(binding("roles/notebooks.runner", "domain:x.com", "user:a@x.com", address="d"),))
    (finding,) = evaluate(intent, [policy], roles=roles)
    assert finding.message == (
        "Everyone in domain:x.com can open notebook instances through roles/notebooks.runner on project p."
    )


def test_shared_role_facts_never_mix_two_unknowns_that_are_equal_values() -> None:
    """Role facts are built once per distinct role; two unknowns with one origin compare equal but read as their
    own shapes, and each binding's `role.name` must be its own."""
    alpha = Unresolved("var.r", origin="var.r", shape="projects/{var.r}/roles/alpha")
    beta = Unresolved("var.r", origin="var.r", shape="projects/{var.r}/roles/beta")
    assert alpha == beta  # the premise: equal as values
    first = binding_activation(binding(alpha, "user:a@example.com"), lookup)["role"]
    second = binding_activation(binding(beta, "user:b@example.com"), lookup)["role"]
    assert (first.name, second.name) == ("projects/{var.r}/roles/alpha", "projects/{var.r}/roles/beta")
    assert first.unresolved and second.unresolved
    # A known role and an unknown one reading the same text stay apart too.
    known = binding_activation(binding("projects/{var.r}/roles/alpha", "user:a@example.com"), lookup)["role"]
    assert not known.unresolved
