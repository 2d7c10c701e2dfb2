"""Terraform resources the access graph reads: Compute Engine VMs, group memberships and deny policies."""

from __future__ import annotations

from pathlib import Path

from auditor.model import DEFAULT_SERVICE_ACCOUNT, PrincipalKind, Scope, ScopeKind, Unresolved
from auditor.terraform import load_intent
from auditor.terraform.semantics import deny_member, deny_permission

MAIN_TF = """
provider "google" {
  project = "acme"
  zone    = "europe-west4-a"
}
resource "google_compute_instance" "vm" {
  name         = "vm1"
  machine_type = "e2-small"
  service_account {
    email  = "ops@acme.iam.gserviceaccount.com"
    scopes = ["cloud-platform"]
  }
  metadata_startup_script = "echo hi"
}
resource "google_compute_instance" "default_sa" {
  name = "vm2"
  service_account {
    scopes = ["cloud-platform"]
  }
}
resource "google_compute_instance" "no_sa" {
  name = "vm3"
}
resource "google_compute_instance_iam_member" "m" {
  instance_name = google_compute_instance.vm.name
  role          = "roles/compute.instanceAdmin.v1"
  member        = "user:bob@x.com"
}
resource "google_cloud_identity_group" "g" {
  parent    = "customers/C01"
  group_key { id = "team@x.com" }
}
resource "google_cloud_identity_group_membership" "alice" {
  group = google_cloud_identity_group.g.id
  preferred_member_key { id = "alice@x.com" }
  roles { name = "MEMBER" }
}
resource "google_cloud_identity_group_membership" "robot" {
  group = "groups/abc"
  preferred_member_key { id = "robot@acme.iam.gserviceaccount.com" }
  roles { name = "MANAGER" }
}
resource "google_iam_deny_policy" "d" {
  parent = urlencode("cloudresourcemanager.googleapis.com/projects/acme")
  name   = "deny-tokens"
  rules {
    deny_rule {
      denied_principals    = ["principalSet://goog/group/team@x.com"]
      denied_permissions   = ["iam.googleapis.com/serviceAccounts.getAccessToken"]
      exception_principals = ["principal://goog/subject/boss@x.com"]
    }
  }
}
resource "google_iam_deny_policy" "unknown" {
  parent = var.parent
  name   = "x"
}
variable "parent" {
  type = string
}
"""


def _intent(tmp_path: Path):
    (tmp_path / "main.tf").write_text(MAIN_TF)
    return load_intent([tmp_path])


def test_compute_instances_keep_their_account_and_metadata(tmp_path: Path) -> None:
    intent = _intent(tmp_path)
    by_name = {i.name: i for i in intent.compute_instances}
    assert by_name["vm1"].service_account == "ops@acme.iam.gserviceaccount.com"
    assert by_name["vm1"].metadata == {"startup-script": "echo hi"}
    assert by_name["vm1"].full_name == "projects/acme/zones/europe-west4-a/instances/vm1"
    assert by_name["vm2"].service_account == DEFAULT_SERVICE_ACCOUNT
    assert by_name["vm3"].service_account is None


def test_compute_instance_iam_is_a_compute_instance_scope(tmp_path: Path) -> None:
    (binding,) = _intent(tmp_path).bindings
    assert binding.scope == Scope(ScopeKind.COMPUTE_INSTANCE, "projects/acme/zones/europe-west4-a/instances/vm1")


def test_group_memberships_name_the_group_by_email_where_declared(tmp_path: Path) -> None:
    memberships = {m.address: m for m in _intent(tmp_path).group_memberships}
    alice = memberships["google_cloud_identity_group_membership.alice"]
    assert alice.group == "team@x.com"
    assert alice.member.member == "user:alice@x.com"
    robot = memberships["google_cloud_identity_group_membership.robot"]
    assert robot.group == "groups/abc"
    assert robot.member.kind is PrincipalKind.SERVICE_ACCOUNT
    assert robot.roles == ("MANAGER",)


def test_deny_policies_in_v1_terms(tmp_path: Path) -> None:
    policies = {p.address: p for p in _intent(tmp_path).deny_policies}
    known = policies["google_iam_deny_policy.d"]
    assert known.scope == Scope(ScopeKind.PROJECT, "acme")
    (rule,) = known.rules
    assert rule.denied_principals == ("group:team@x.com",)
    assert rule.denied_permissions == ("iam.serviceAccounts.getAccessToken",)
    assert rule.exception_principals == ("user:boss@x.com",)
    unknown = policies["google_iam_deny_policy.unknown"]
    assert isinstance(unknown.scope.name, Unresolved)
    assert unknown.unresolved


def test_deny_identifiers() -> None:
    assert deny_member("principal://iam.googleapis.com/projects/-/serviceAccounts/a@p.iam.gserviceaccount.com") == (
        "serviceAccount:a@p.iam.gserviceaccount.com"
    )
    assert deny_member("principalSet://goog/public:all") == "allUsers"
    assert deny_member("principalSet://goog/cloudIdentityCustomerId/C01") == (
        "principalSet://goog/cloudIdentityCustomerId/C01"
    )
    assert deny_permission("compute.googleapis.com/instances.setMetadata") == "compute.instances.setMetadata"


def test_a_compute_instance_names_the_declared_account_it_runs_as(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        """
variable "project_id" {}
resource "google_service_account" "vm" {
  project    = var.project_id
  account_id = "vm-runner"
}
resource "google_compute_instance" "vm" {
  project = var.project_id
  zone    = "europe-west4-a"
  name    = "vm1"
  service_account {
    email  = google_service_account.vm.email
    scopes = ["cloud-platform"]
  }
}
"""
    )
    (instance,) = load_intent([tmp_path]).compute_instances
    assert instance.identity == "google_service_account.vm"
