"""drift-custom-role: declared custom roles against the live ones, by permissions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.drift.custom_roles import CUSTOM_ROLE, compare_custom_roles
from auditor.live.coverage import Coverage
from auditor.model import CustomRole, Intent, Location, Severity
from tests.live.org_state import ORG, org_state


def _role(name: str, *permissions: str, path: str = "roles.tf") -> CustomRole:
    return CustomRole(name, name.rpartition("/")[2], frozenset(permissions), f"r.{name[-1]}", Location(path, 3))


def test_added_admin_permission_is_high_harmless_is_medium_missing_is_medium_unread_is_skipped() -> None:
    declared = Intent(
        custom_roles=(
            _role("projects/p/roles/a", "notebooks.instances.get"),
            _role("projects/p/roles/b", "notebooks.instances.get"),
            _role("projects/p/roles/c", "notebooks.instances.get"),
            _role("projects/p/roles/d", "notebooks.instances.get"),
            _role("projects/other/roles/e", "notebooks.instances.get"),
        )
    )
    live = Intent(
        custom_roles=(
            _role("projects/p/roles/a", "notebooks.instances.get", "iam.serviceAccounts.getAccessToken"),
            _role("projects/p/roles/b", "notebooks.instances.list"),
            _role("projects/p/roles/d", "notebooks.instances.get"),
            _role("projects/other/roles/e"),
        )
    )
    findings = {f.role: f for f in compare_custom_roles(declared, live, coverage=Coverage(projects=frozenset({"p"})))}
    assert set(findings) == {"projects/p/roles/a", "projects/p/roles/b", "projects/p/roles/c"}
    assert all(f.rule == CUSTOM_ROLE and f.project == "p" for f in findings.values())
    assert findings["projects/p/roles/a"].severity is Severity.HIGH
    assert findings["projects/p/roles/b"].severity is Severity.MEDIUM
    assert findings["projects/p/roles/c"].severity is Severity.MEDIUM  # declared, missing live
    assert findings["projects/p/roles/a"].location == Location("roles.tf", 3)


def test_unresolved_declared_roles_are_reported_not_compared() -> None:
    from auditor.drift.rules import UNRESOLVED
    from auditor.model import Unresolved

    module_role = CustomRole(
        Unresolved("m.google_project_iam_custom_role.x.name"),
        "x",
        frozenset({"notebooks.instances.get"}),
        "m.google_project_iam_custom_role.x",
        Location("m/roles.tf", 3),
        ("m.google_project_iam_custom_role.x.name",),
    )
    computed = CustomRole("projects/p/roles/y", "y", frozenset(), "r.y", Location("roles.tf", 9), ("var.permissions",))
    elsewhere = CustomRole("projects/q/roles/z", "z", frozenset(), "r.z", Location("roles.tf", 15), ("var.more",))
    declared = Intent(custom_roles=(module_role, computed, elsewhere))
    live = Intent(custom_roles=(_role("projects/p/roles/y", "notebooks.instances.get"),))
    findings = {
        f.resource: f for f in compare_custom_roles(declared, live, coverage=Coverage(projects=frozenset({"p"})))
    }
    assert set(findings) == {"m.google_project_iam_custom_role.x", "r.y"}  # z's project was not read
    assert all(f.rule == UNRESOLVED and f.severity is Severity.INFO for f in findings.values())
    assert "var.permissions" in findings["r.y"].message and findings["r.y"].role == "projects/p/roles/y"


def test_only_parents_whose_roles_were_listed_are_compared() -> None:
    from auditor.live.calls import Call
    from auditor.live.coverage import Unread
    from auditor.model import Project

    declared = Intent(
        custom_roles=(
            _role("projects/p/roles/a", "x.y.z"),
            _role("projects/1002/roles/b", "x.y.z"),  # named by the number of a project read by id
            _role("projects/r/roles/c", "x.y.z"),
            _role("organizations/1/roles/d", "x.y.z"),
        )
    )
    live = Intent(projects=(Project("p", "1001"), Project("q", "1002"), Project("r", "1003")))
    read = Coverage(projects=frozenset({"p", "q", "r"}), nodes=frozenset({"organizations/1"}))

    def missing(coverage: Coverage) -> set[str | None]:
        findings = compare_custom_roles(declared, live, coverage=coverage)
        # A role whose parent was read but whose roles were not listed is never silent: it is not compared.
        assert {f.role for f in findings if f.rule == "drift-unresolved"} == everything - {
            f.role for f in findings if f.rule == "drift-custom-role"
        }
        return {f.role for f in findings if f.rule == "drift-custom-role"}

    everything = {"projects/p/roles/a", "projects/1002/roles/b", "projects/r/roles/c", "organizations/1/roles/d"}
    assert missing(read) == everything
    # A failed roles.list hides its own parent only; a failed organization-wide asset listing hides every parent.
    org_roles = Unread(Call.ROLES, None, "organizations/1")
    assert missing(read | Coverage(unread=frozenset({org_roles}))) == everything - {"organizations/1/roles/d"}
    by_number = Unread(Call.ROLES, "1002")
    assert missing(read | Coverage(unread=frozenset({by_number}))) == everything - {"projects/1002/roles/b"}
    project_assets = Unread(Call.ASSETS, "r")
    assert missing(read | Coverage(unread=frozenset({project_assets}))) == everything - {"projects/r/roles/c"}
    assert missing(read | Coverage(unread=frozenset({Unread(Call.ASSETS)}))) == set()
    # Other failed reads say nothing about custom roles.
    other = Coverage(unread=frozenset({Unread(Call.PROJECT_IAM, "p"), Unread(Call.ORGANIZATION_IAM, None, "x")}))
    assert missing(read | other) == everything


# --- end to end: the live read of custom roles fails (issue 9: a failed read is never a false finding) -----------

MODULE_ROOT_TF = f"""
module "roles" {{
  source     = "./modules/roles"
  project_id = "ml-a"
}}

resource "google_organization_iam_custom_role" "starter" {{
  org_id      = "{ORG}"
  role_id     = "starter"
  title       = "starter"
  permissions = ["notebooks.instances.get"]
}}
"""

MODULE_ROLES_TF = """
variable "project_id" {
  type = string
}

resource "google_project_iam_custom_role" "lite" {
  project     = var.project_id
  role_id     = "nbAdminLite"
  title       = "nb admin lite"
  permissions = ["notebooks.instances.get", "notebooks.instances.start"]
}
"""

PROJECT_ROLE = "module.roles.google_project_iam_custom_role.lite"
ORG_ROLE = "google_organization_iam_custom_role.starter"


def _terraform(tmp_path: Path) -> Path:
    root = tmp_path / "tf"
    (root / "modules" / "roles").mkdir(parents=True)
    (root / "main.tf").write_text(MODULE_ROOT_TF)
    (root / "modules" / "roles" / "main.tf").write_text(MODULE_ROLES_TF)
    return root


def _drift(tmp_path: Path, faults: list[dict[str, Any]], *args: str) -> tuple[int, dict[str, Any]]:
    from auditor.live.simulator import start_simulator

    state = org_state()
    state["faults"] = faults
    output = tmp_path / "report.json"
    with start_simulator(state) as simulator:
        endpoints = ["--api-endpoint", simulator.api_endpoint, "--grpc-endpoint", simulator.grpc_endpoint]
        code = main(
            ["drift", str(_terraform(tmp_path)), "--retry-deadline", "5", "--format", "json", "--output", str(output)]
            + endpoints
            + list(args)
        )
        assert simulator.mutations == ()
    return code, json.loads(output.read_text())


def _role_drift(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["resource"]: f for f in report["findings"] if f["rule"] == CUSTOM_ROLE}


@pytest.mark.parametrize(
    "scope", [("--project", "ml-a", "--source", "apis"), ("--organization", ORG, "--source", "apis")], ids=str
)
def test_denied_roles_list_is_incomplete_never_a_missing_role(tmp_path: Path, scope: tuple[str, ...]) -> None:
    code, report = _drift(tmp_path, [{"call": "roles.list", "code": 403}], *scope)
    assert code == 2 and report["complete"] is False
    denied = [e for e in report["errors"] if e.get("call") == "roles.list"]
    assert denied and all(e["permission"] == "iam.roles.list" for e in denied)
    assert _role_drift(report) == {}  # not "does not exist live": the roles were never read


def test_denied_asset_listing_is_incomplete_never_a_missing_role(tmp_path: Path) -> None:
    pytest.importorskip("google.cloud.asset_v1")
    code, report = _drift(
        tmp_path, [{"call": "assets.list", "code": 403}], "--project", "ml-a", "--source", "asset-inventory"
    )
    assert code == 2 and report["complete"] is False
    assert any(e.get("call") == "assets.list" for e in report["errors"])
    assert _role_drift(report) == {}


@pytest.mark.parametrize("source", ["apis", "asset-inventory"])
def test_roles_read_are_compared_at_project_and_organization(tmp_path: Path, source: str) -> None:
    """The control: with the reads answered, the widened project role is high (admin-level permissions added) and the
    organization's role, declared at the root, is compared too."""
    if source == "asset-inventory":
        pytest.importorskip("google.cloud.asset_v1")
    code, report = _drift(tmp_path, [], "--organization", ORG, "--source", source)
    assert report["complete"] is True, report["errors"]
    found = _role_drift(report)
    assert set(found) == {PROJECT_ROLE, ORG_ROLE}
    assert found[PROJECT_ROLE]["severity"] == "high"
    assert "notebooks.instances.setIamPolicy" in found[PROJECT_ROLE]["live"]
    assert found[ORG_ROLE]["severity"] == "medium" and "notebooks.instances.start" in found[ORG_ROLE]["live"]
    assert code == 1


def _carol(report: dict[str, Any]) -> dict[str, str]:
    """rule -> severity of the live findings about carol's grant of the custom role (as its member, or about the
    binding that names her)."""
    return {
        f["rule"]: f["severity"]
        for f in report["findings"]
        if f["kind"] == "live" and f["role"] == LIVE_ROLE and "user:carol@acme.example" in f["message"]
    }


LIVE_ROLE = "projects/ml-a/roles/nbAdminLite"


def test_a_live_grant_of_an_unlisted_role_is_judged_unknown_not_as_declared(tmp_path: Path) -> None:
    """Live, the custom role carol holds was widened to notebook admin; Terraform declares it get + start. When its
    roles cannot be listed, her grant must not pass as the harmless declared role: its permissions are unknown."""
    _, read = _drift(tmp_path / "read", [], "--project", "ml-a", "--source", "apis")
    assert _carol(read).get("human-notebook-admin") == "high"  # the control: the live role, read, is an admin role

    code, denied = _drift(tmp_path / "denied", [{"call": "roles.list", "code": 403}], "--project", "ml-a")
    assert code == 2
    assert "unresolved-sensitive-binding" in _carol(denied)  # "cannot be fully checked": the role is unknown here
