"""Terraform read as Terraform reads it: one fixture directory per case in tests/fixtures/terraform/.

Each directory holds Terraform and an `expected.json`: the (policy, resource) findings without variables, the
input errors expected (`"errors": [substring, ...]`, the run is then incomplete), a message substring, and, for a
directory with a `*.tfvars`, how that value changes the verdict (`changed_by_tfvars`, with the reason).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.model import InputError, Intent, Unresolved
from auditor.policy import evaluate, load_policies
from auditor.terraform import load_intent

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "terraform"
POLICIES = [p for p in load_policies() if p.subject is not None and p.subject.value not in ("workflow", "escalation")]
"""Escalation paths are judged on their own fixture (fixtures/privilege-escalation)."""
DIRECTORIES = sorted(d for d in CASES.iterdir() if (d / "expected.json").is_file())
WITH_TFVARS = [d for d in DIRECTORIES if list(d.glob("*.tfvars"))]


def expected(directory: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((directory / "expected.json").read_text(encoding="utf-8"))
    return loaded


def findings(intent: Intent) -> set[tuple[str, str]]:
    return {(f.rule, f.resource) for f in evaluate(intent, POLICIES)}


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda d: d.name)
def test_case_findings_and_errors(directory: Path) -> None:
    expect = expected(directory)
    intent = load_intent([directory])
    errors = [str(e) for e in intent.errors]
    for wanted in expect.get("errors", []):
        assert any(wanted in e for e in errors), (wanted, errors)
    if not expect.get("errors"):
        assert errors == []
    assert findings(intent) == {tuple(f) for f in expect["findings"]}
    if "message" in expect:
        assert any(expect["message"] in f.message for f in evaluate(intent, POLICIES))
    scopes = {b.address: str(b.scope) for b in intent.bindings}
    for address, scope in expect.get("scopes", {}).items():
        assert scopes[address] == scope


def test_the_seed_without_a_provider_project(repo_root: Path, tmp_path: Path) -> None:
    """examples/workbench with no project anywhere (no provider project, none on the resources): every resource
    shares the provider's unknown project, each instance still runs as its own declared account."""
    for source in sorted((repo_root / "examples" / "workbench").glob("*.tf")):
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not re.match(r"\s*project\s*=\s*var\.project_id\s*$", line)]
        (tmp_path / source.name).write_text("".join(kept), encoding="utf-8")
    intent = load_intent([tmp_path])
    assert intent.errors == ()
    assert {str(sa.project) for sa in intent.service_accounts} == {"provider.google.project"}
    assert all(i.identity for i in intent.instances)
    # evaluated without the example's auditor.toml: the platform team is not known as an intended administrator
    assert findings(intent) == {
        ("service-account-admin-privileges", "google_project_iam_member.chatops_notebooks_admin"),
        ("human-notebook-admin", "google_project_iam_member.platform_notebooks_admin"),
    }


def test_the_module_pattern_meets_on_one_identity() -> None:
    """Grants to the module's account, its instance and the binding on it all name google_service_account.runtime."""
    intent = load_intent([CASES / "module-pattern"])
    (account,) = intent.service_accounts
    identity = "module.workbench.google_service_account.runtime"
    assert account.identity == identity
    assert {i.identity for i in intent.instances} == {identity}
    by_address = {b.address.rsplit(".", 1)[1]: b for b in intent.bindings}
    assert by_address["users_act_as"].identity == identity
    assert by_address["runtime_admin"].members[0].identity == identity
    assert by_address["runtime_admin"].scope.name == account.project  # one symbolic project: var.project_id


def test_unreadable_module_directory_is_an_input_error(tmp_path: Path) -> None:
    module = tmp_path / "modules" / "secret"
    module.mkdir(parents=True)
    (module / "main.tf").write_text('resource "google_project_iam_member" "x" {\n}\n')
    (tmp_path / "main.tf").write_text('module "secret" {\n  source = "./modules/secret"\n}\n')
    module.chmod(0)
    try:
        if os.access(module, os.R_OK):
            pytest.skip("running as a user that reads any directory (root)")
        intent = load_intent([tmp_path])
    finally:
        module.chmod(0o755)
    assert any("cannot read the directory" in str(e) for e in intent.errors)


def test_unreadable_directory_is_reported_by_the_listing(tmp_path: Path) -> None:
    from auditor.terraform.hcl import find_root_modules

    def denied(path: str, **_: object) -> object:
        raise PermissionError(13, "Permission denied", path)

    errors: list[InputError] = []
    (tmp_path / "main.tf").write_text("")
    original = os.scandir
    try:
        os.scandir = denied  # type: ignore[assignment]
        find_root_modules(tmp_path, errors)
    finally:
        os.scandir = original
    assert errors and "Permission denied" in str(errors[0])


def identified(intent: Intent) -> set[tuple[str, str, str, str]]:
    """Findings as (policy, resource, principal identity, role), independent of how far values resolved: a
    declared service account is its address, a declared custom role its address."""
    members: dict[tuple[str, str], str] = {}
    roles: dict[str, str] = {}
    custom = {r.role: r.address for r in intent.custom_roles if isinstance(r.role, str)}
    for binding in intent.bindings:
        role = binding.role
        if isinstance(role, Unresolved):
            roles[binding.address] = role.declared_by or role.origin
        else:
            roles[binding.address] = custom.get(role, role)
        for member in binding.members:
            members[(binding.address, member.member)] = member.identity or member.member.lower()
    out = set()
    for finding in evaluate(intent, POLICIES):
        principal = members.get((finding.resource, finding.principal or ""), finding.principal or "")
        role = roles.get(finding.resource, finding.role or "")
        out.add((finding.rule, finding.resource, principal, role))
    return out


@pytest.mark.parametrize("directory", WITH_TFVARS, ids=lambda d: d.name)
def test_a_value_changes_findings_only_where_it_changes_the_verdict(directory: Path) -> None:
    (tfvars,) = directory.glob("*.tfvars")
    without = identified(load_intent([directory]))
    with_value = identified(load_intent([directory], var_files=[tfvars]))
    change = expected(directory).get("changed_by_tfvars", {"removed": [], "added": []})
    removed = {(rule, resource) for rule, resource, _, _ in without - with_value}
    added = {(rule, resource) for rule, resource, _, _ in with_value - without}
    assert removed == {tuple(f) for f in change["removed"]}
    assert added == {tuple(f) for f in change["added"]}


def test_a_service_account_name_built_from_a_template_is_that_account(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        """
variable "project_id" {}
variable "sa_project" {}
resource "google_service_account" "runtime" {
  project    = var.project_id
  account_id = "wb-runtime"
}
resource "google_service_account_iam_member" "act_as" {
  service_account_id = "projects/${var.sa_project}/serviceAccounts/${google_service_account.runtime.email}"
  role               = "roles/iam.serviceAccountUser"
  member             = "user:ana@example.com"
}
resource "google_service_account_iam_member" "by_unique_id" {
  service_account_id = google_service_account.runtime.unique_id
  role               = "roles/iam.serviceAccountUser"
  member             = "user:bob@example.com"
}
"""
    )
    intent = load_intent([tmp_path])
    assert {b.identity for b in intent.bindings} == {"google_service_account.runtime"}
    template = next(b for b in intent.bindings if b.address.endswith("act_as"))
    assert str(template.scope.name) == "wb-runtime@{var.project_id}.iam.gserviceaccount.com"


def test_google_managed_accounts_from_data_sources_are_service_agents(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        """
data "google_bigquery_default_service_account" "bq" {}
resource "google_project_iam_member" "bq_admin" {
  project = "acme"
  role    = "roles/iam.serviceAccountAdmin"
  member  = "serviceAccount:${data.google_bigquery_default_service_account.bq.email}"
}
"""
    )
    intent = load_intent([tmp_path])
    (binding,) = intent.bindings
    assert binding.members[0].service_agent
    assert findings(intent) == set()  # Google's agent, not a team's account nor an unknown one
