"""Custom roles in the access graph: a module's role whose name is unresolved (`projects/${var.project_id}/...`)
gives its holders the same edges as one whose name resolves, in `auditor access` and in privilege-escalation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main

_MODULE = """
variable "project_id" {
  type = string
}

resource "google_service_account" "runtime" {
  project    = var.project_id
  account_id = "wb-runtime"
}

resource "google_project_iam_member" "runtime_admin" {
  project = var.project_id
  role    = "roles/notebooks.admin"
  member  = google_service_account.runtime.member
}

resource "google_project_iam_custom_role" "token" {
  project     = var.project_id
  role_id     = "tokenMinter"
  title       = "Mints tokens"
  permissions = ["iam.serviceAccounts.getAccessToken"]
}

resource "google_project_iam_member" "ana_token" {
  project = var.project_id
  role    = google_project_iam_custom_role.token.id
  member  = "user:ana@example.com"
}

resource "google_project_iam_custom_role" "editor" {
  project     = var.project_id
  role_id     = "roleEditor"
  title       = "Edits custom roles"
  permissions = ["iam.roles.get", "iam.roles.update"]
}

resource "google_project_iam_member" "carol_roles" {
  project = var.project_id
  role    = google_project_iam_custom_role.editor.name
  member  = "user:carol@example.com"
}
"""
"""The recommended module pattern: ana can mint tokens for the notebook admin account (sa-token), carol can widen
the custom role she holds herself (role-update)."""

_ROOTS = {
    "unresolved": 'variable "project_id" {}\nmodule "wb" {\n  source = "../wb"\n  project_id = var.project_id\n}\n',
    "resolved": 'module "wb" {\n  source = "../wb"\n  project_id = "acme"\n}\n',
}
"""The module called with the root's unset `var.project_id` (names unresolved), or with a literal project."""


@pytest.fixture(params=sorted(_ROOTS))
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "wb").mkdir()
    (tmp_path / "wb" / "main.tf").write_text(_MODULE)
    root = tmp_path / "root"
    root.mkdir()
    (root / "main.tf").write_text(_ROOTS[request.param])
    return root


def _who_can(capsys: pytest.CaptureFixture[str], permission: str, root: Path) -> dict[str, list[dict[str, str]]]:
    assert main(["access", "who-can", permission, str(root), "--format", "json"]) == 0
    return {r["principal"]: r["path"] for r in json.loads(capsys.readouterr().out)["principals"]}


def test_who_can_sees_the_custom_role_holders(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    tokens = _who_can(capsys, "iam.serviceAccounts.getAccessToken", root)
    assert tokens["user:ana@example.com"] == []  # held directly, through the custom role
    deleters = _who_can(capsys, "notebooks.instances.delete", root)
    assert [s["technique"] for s in deleters["user:ana@example.com"]] == ["sa-token"]
    assert [s["technique"] for s in deleters["user:carol@example.com"]] == ["role-update"]


def test_check_reports_privilege_escalation_through_the_custom_role(
    capsys: pytest.CaptureFixture[str], root: Path
) -> None:
    main(["check", str(root), "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    escalations = {(f["principal"], f["resource"]) for f in findings if f["rule"] == "privilege-escalation"}
    assert escalations == {
        ("user:ana@example.com", "module.wb.google_project_iam_member.ana_token"),
        ("user:carol@example.com", "module.wb.google_project_iam_member.carol_roles"),
    }


def _resource(address: str, values: dict[str, object]) -> dict[str, object]:
    kind, name = address.split(".")
    return {"address": address, "mode": "managed", "type": kind, "name": name, "values": values}


def test_plan_grant_of_a_custom_role_created_in_the_same_apply(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """In a plan the role of `role = google_project_iam_custom_role.x.id` is known only after apply: it is still
    that declared role (its name built from project and role_id, as the HCL reader does)."""
    runtime = "serviceAccount:wb-runtime@acme.iam.gserviceaccount.com"
    grants = {
        "ana_token": ("token", "id", "user:ana@example.com"),
        "carol_roles": ("editor", "name", "user:carol@x.io"),
    }
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    _resource(
                        "google_project_iam_member.runtime_admin",
                        {"project": "acme", "role": "roles/notebooks.admin", "member": runtime},
                    ),
                    _resource(
                        "google_service_account.runtime",
                        {"project": "acme", "account_id": "wb-runtime", "email": runtime.partition(":")[2]},
                    ),
                    _resource(
                        "google_project_iam_custom_role.token",
                        {"project": "acme", "role_id": "t", "permissions": ["iam.serviceAccounts.getAccessToken"]},
                    ),
                    _resource(
                        "google_project_iam_custom_role.editor",
                        {"project": "acme", "role_id": "e", "permissions": ["iam.roles.update"]},
                    ),
                    *(
                        _resource(f"google_project_iam_member.{name}", {"project": "acme", "member": member})
                        for name, (_, _, member) in grants.items()
                    ),
                ]
            }
        },
        "resource_changes": [
            *(
                {"address": f"google_project_iam_custom_role.{role}", "change": {"after_unknown": {"id": True}}}
                for role in ("token", "editor")
            ),
            *(
                {"address": f"google_project_iam_member.{name}", "change": {"after_unknown": {"role": True}}}
                for name in grants
            ),
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": f"google_project_iam_member.{name}",
                        "mode": "managed",
                        "type": "google_project_iam_member",
                        "name": name,
                        "expressions": {
                            "role": {
                                "references": [
                                    f"google_project_iam_custom_role.{role}.{attribute}",
                                    f"google_project_iam_custom_role.{role}",
                                ]
                            }
                        },
                    }
                    for name, (role, attribute, _) in grants.items()
                ]
            }
        },
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    deleters = _who_can(capsys, "notebooks.instances.delete", tmp_path / "plan.json")
    assert deleters["user:ana@example.com"][0]["technique"] == "sa-token"
    assert deleters["user:carol@x.io"][0]["technique"] == "role-update"
    main(["check", str(tmp_path / "plan.json"), "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    ana = {(f["rule"], f["role"]) for f in findings if f["principal"] == "user:ana@example.com"}
    assert ("privilege-escalation", "sa-token->wb-runtime@acme.iam.gserviceaccount.com") in ana
    assert ("project-level-service-account-user", "projects/acme/roles/t") in ana
    assert "unresolved-sensitive-binding" not in {f["rule"] for f in findings}
