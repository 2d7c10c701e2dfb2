"""privilege-escalation beyond the marker fixture: paths, permissions, conditions, messages, administrators."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.model import Finding
from auditor.policy import evaluate, load_policies
from auditor.terraform import load_intent

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "privilege-escalation"
POLICY = [p for p in load_policies() if p.id == "privilege-escalation"]


@pytest.fixture(scope="module")
def findings() -> dict[str, Finding]:
    intent = load_intent([FIXTURE])
    return {f.resource: f for f in evaluate(intent, POLICY)}


def test_three_hop_chain_lists_every_step(findings: dict[str, Finding]) -> None:
    path = findings["google_service_account_iam_member.sam_to_a1"].path
    assert [(s["from"], s["to"]) for s in path] == [
        ("user:sam@example.com", "a1@p-chain.iam.gserviceaccount.com"),
        ("a1@p-chain.iam.gserviceaccount.com", "a2@p-chain.iam.gserviceaccount.com"),
        ("a2@p-chain.iam.gserviceaccount.com", "a3@p-chain.iam.gserviceaccount.com"),
    ]
    assert [s["address"] for s in path] == [
        "google_service_account_iam_member.sam_to_a1",
        "google_service_account_iam_member.a1_to_a2",
        "google_service_account_iam_member.a2_to_a3",
    ]
    assert set(path[0]) == {"from", "to", "technique", "address", "location", "condition"}


def test_permissions_are_the_admin_level_ones_gained_sorted(findings: dict[str, Finding]) -> None:
    gained = findings["google_service_account_iam_member.alice_token"].permissions
    assert list(gained) == sorted(gained)
    assert "notebooks.instances.delete" in gained and "iam.serviceAccounts.actAs" not in gained
    # A path that ends in resource-set-iam or role-update gains every admin-level permission of the project.
    everything = findings["google_project_iam_member.erin_project_iam"].permissions
    assert {"iam.serviceAccounts.getAccessToken", "compute.instances.setMetadata"} <= set(everything)
    # ... less what the principal already holds itself (projectIamAdmin sets IAM, frank's role updates roles).
    frank = findings["google_project_iam_member.frank_self_edit"].permissions
    assert set(frank) | {"iam.roles.update"} == set(everything) | {"resourcemanager.projects.setIamPolicy"}


def test_message_is_one_sentence_with_the_first_edge(findings: dict[str, Finding]) -> None:
    message = findings["google_service_account_iam_member.alice_token"].message
    assert message.startswith("user:alice@example.com can act as ops@p-token.iam.gserviceaccount.com (sa-token")
    assert "main.tf:25" in message and "roles/notebooks.admin on project p-token" in message
    assert message.endswith(".") and "delete" in message


def test_time_window_is_kept_and_marked_conditional_expired_is_removed(findings: dict[str, Finding]) -> None:
    window = findings["google_service_account_iam_member.vera_window"]
    assert window.path[0]["condition"] == 'request.time < timestamp("2099-01-01T00:00:00Z")'
    assert "only while" in window.message
    assert "google_service_account_iam_member.uma_expired" not in findings
    assert "google_service_account_iam_member.walt_other_name" not in findings


def test_deny_policy_and_group_membership(findings: dict[str, Finding]) -> None:
    assert "google_service_account_iam_member.xena_token" not in findings
    yuri = findings["google_cloud_identity_group_membership.yuri"]
    assert [s["technique"] for s in yuri.path] == ["group-member", "sa-token"]
    assert yuri.principal == "user:yuri@example.com"


def test_every_technique_of_the_catalog_is_exercised(findings: dict[str, Finding]) -> None:
    from auditor.access.techniques import catalog

    used = {step["technique"] for f in findings.values() for step in f.path}
    assert set(catalog()) - used == {"workflow-trigger"}  # the ChatOps test below covers it


def test_administrators_are_exempt() -> None:
    intent = load_intent([FIXTURE])
    findings = evaluate(intent, POLICY, administrators=["user:alice@example.com", "A1@p-chain.iam.gserviceaccount.com"])
    resources = {f.resource for f in findings}
    assert "google_service_account_iam_member.alice_token" not in resources
    assert "google_service_account_iam_member.a1_to_a2" not in resources
    assert "google_service_account_iam_member.sam_to_a1" in resources


def test_chatops_example_anyone_who_can_trigger_acts_as_its_account(repo_root: Path) -> None:
    from auditor.workflows.files import discover
    from auditor.workflows.reader import read_workflows

    root = repo_root / "examples" / "workbench-risky"
    workflows, _ = read_workflows(discover(root), root)
    findings = evaluate(load_intent([root]), POLICY, workflows=workflows)
    (chatops,) = [f for f in findings if f.path[0]["technique"] == "workflow-trigger"]
    assert chatops.message.startswith("anyone who can trigger")
    assert "chatops@risky-project.iam.gserviceaccount.com" in chatops.message
    assert "notebooks.instances.delete" in chatops.permissions


def test_intended_pattern_has_no_escalation(repo_root: Path) -> None:
    from auditor.workflows.files import discover
    from auditor.workflows.reader import read_workflows

    root = repo_root / "examples" / "workbench"
    workflows, _ = read_workflows(discover(root), root)
    assert evaluate(load_intent([root]), POLICY, workflows=workflows) == []
    # Without its workflow, the federated GitHub identity would reach notebooks.admin: the workflow is what
    # restricts it to start and stop.
    assert evaluate(load_intent([root]), POLICY) != []


def test_risky_example_has_one_finding_per_planted_path(repo_root: Path) -> None:
    from auditor.workflows.files import discover
    from auditor.workflows.reader import read_workflows

    root = repo_root / "examples" / "workbench-risky"
    workflows, _ = read_workflows(discover(root), root)
    findings = evaluate(load_intent([root]), POLICY, workflows=workflows)
    first = {(f.resource.rpartition("/")[2], f.path[0]["technique"]) for f in findings}
    assert first == {
        ("notebook-chatops.yml", "workflow-trigger"),
        ("google_project_iam_member.analyst_editor", "notebook-create-as"),
        ("google_project_iam_member.analyst_compute", "vm-metadata"),
        ("google_project_iam_member.users_act_as", "notebook-use"),
        ("google_project_iam_member.notebook_editor", "sa-key"),
        ("google_project_iam_member.team_owner", "resource-set-iam"),
        ("google_service_account_iam_member.contractor_token", "sa-token"),
        ("google_service_account_iam_member.analyst_act_as_notebook", "notebook-use"),
    }
    assert len(findings) == len(first)
    text = (root / "main.tf").read_text()
    assert all(
        f"privilege-escalation, {t}" in text or f"privilege-escalation ({t})" in text
        for _, t in first - {("notebook-chatops.yml", "workflow-trigger")}
    )


def test_human_policies_judge_effective_access(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        """
resource "google_service_account" "ops" {
  project    = "acme"
  account_id = "ops"
}
resource "google_project_iam_member" "ops_admin" {
  project = "acme"
  role    = "roles/notebooks.admin"
  member  = google_service_account.ops.member
}
resource "google_service_account_iam_member" "alice_token" {
  service_account_id = google_service_account.ops.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "user:alice@example.com"
}
resource "google_project_iam_member" "bob_admin" {
  project = "acme"
  role    = "roles/notebooks.admin"
  member  = "user:bob@example.com"
}
"""
    )
    policies = [p for p in load_policies() if p.id == "human-notebook-admin"]
    intent = load_intent([tmp_path])
    findings = {f.principal: f for f in evaluate(intent, policies)}
    alice = findings["user:alice@example.com"]
    assert alice.resource == "google_service_account_iam_member.alice_token"
    assert "by acting as ops@acme.iam.gserviceaccount.com (sa-token" in alice.message
    assert findings["user:bob@example.com"].resource == "google_project_iam_member.bob_admin"
    exempt = evaluate(intent, policies, administrators=["user:alice@example.com", "user:bob@example.com"])
    assert exempt == []


def test_service_agents_are_not_escalation_sources() -> None:
    from auditor.model import Authority, Binding, Intent, Location, Principal, Scope, ScopeKind

    def grant(scope: Scope, role: str, member: str) -> Binding:
        return Binding(scope, role, (Principal.parse(member),), Authority.LIVE, "projects/p", Location("projects/p"))

    project = Scope(ScopeKind.PROJECT, "p")
    intent = Intent(
        bindings=(
            grant(
                project, "roles/compute.serviceAgent", "serviceAccount:service-1@compute-system.iam.gserviceaccount.com"
            ),
            grant(project, "roles/notebooks.admin", "serviceAccount:ops@p.iam.gserviceaccount.com"),
            grant(project, "roles/iam.serviceAccountTokenCreator", "user:eve@example.com"),
        )
    )
    assert {f.principal for f in evaluate(intent, POLICY)} == {"user:eve@example.com"}
