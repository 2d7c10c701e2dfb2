from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.roles import catalog
from auditor.roles.catalog import (
    SENSITIVE_PERMISSIONS,
    VERTEX_JOB_CREATE,
    RoleFacts,
    facts_for,
    is_admin_role_name,
    permissions_for,
    predefined_roles,
)

CATALOG_FILE = Path(catalog.__file__).with_name("roles.json")
NOTEBOOK_ADMINS = {"roles/owner", "roles/editor", "roles/notebooks.admin", "roles/notebooks.editor"}


def _shared_roles(shared: Path, name: str) -> dict[str, list[str]]:
    return json.loads((shared / "corpus" / "iam-roles" / name).read_text())


SENSITIVE_FILE_FAMILIES = SENSITIVE_PERMISSIONS - VERTEX_JOB_CREATE
"""What sensitive-permissions-by-role.json covers: the Vertex job permission is tracked from the 40 fully listed
roles only (notebook-relevant-roles.json, checked below)."""


def test_catalog_matches_shared_sensitive_permissions(shared: Path) -> None:
    by_role = _shared_roles(shared, "sensitive-permissions-by-role.json")
    # The shared file is complete for its permission families: every role in it must be in the catalog, with
    # exactly its permissions restricted to the tracked ones.
    assert set(by_role) <= predefined_roles()
    mismatched = {
        role: (permissions_for(role) & SENSITIVE_FILE_FAMILIES, SENSITIVE_FILE_FAMILIES.intersection(permissions))
        for role, permissions in by_role.items()
        if permissions_for(role) & SENSITIVE_FILE_FAMILIES != SENSITIVE_FILE_FAMILIES.intersection(permissions)
    }
    assert mismatched == {}
    # A catalog role missing from the shared file holds none of those permissions, so it must track none.
    extra = {role: permissions_for(role) for role in predefined_roles() - set(by_role)}
    assert extra and all(permissions == frozenset() for permissions in extra.values()), extra


def test_catalog_matches_shared_full_role_definitions(shared: Path) -> None:
    full = _shared_roles(shared, "notebook-relevant-roles.json")
    assert len(full) == 40
    for role, permissions in full.items():
        assert permissions_for(role) == SENSITIVE_PERMISSIONS.intersection(permissions), role


def test_shared_file_exercises_every_tracked_permission(shared: Path) -> None:
    # Guards against a typo in a tracked permission name: a name no role grants would make the comparison vacuous.
    by_role = _shared_roles(shared, "sensitive-permissions-by-role.json")
    granted = {permission for permissions in by_role.values() for permission in permissions}
    assert SENSITIVE_FILE_FAMILIES - granted == set()
    full = _shared_roles(shared, "notebook-relevant-roles.json")
    assert {permission for permissions in full.values() for permission in permissions} >= VERTEX_JOB_CREATE


def test_data_file_tracks_exactly_the_code_permissions() -> None:
    document = json.loads(CATALOG_FILE.read_text())
    assert set(document["tracked_permissions"]) == SENSITIVE_PERMISSIONS
    stray = {p for permissions in document["roles"].values() for p in permissions} - SENSITIVE_PERMISSIONS
    assert stray == set()


@pytest.mark.parametrize(
    "role",
    [
        "roles/owner",
        "roles/editor",
        "roles/viewer",
        "roles/browser",
        "roles/iam.serviceAccountUser",
        "roles/iam.serviceAccountTokenCreator",
        "roles/iam.serviceAccountAdmin",
        "roles/iam.serviceAccountKeyAdmin",
        "roles/iam.workloadIdentityUser",
        "roles/iam.securityAdmin",
        "roles/iam.securityReviewer",
        "roles/resourcemanager.projectIamAdmin",
        "roles/compute.admin",
        "roles/compute.instanceAdmin",
        "roles/compute.instanceAdmin.v1",
        "roles/notebooks.admin",
        "roles/notebooks.editor",
        "roles/notebooks.viewer",
        "roles/notebooks.runner",
        "roles/notebooks.legacyAdmin",
        "roles/notebooks.legacyViewer",
        "roles/aiplatform.admin",
        "roles/aiplatform.user",
        "roles/iam.dataScientist",
    ],
)
def test_common_roles_are_known(role: str) -> None:
    assert permissions_for(role) is not None
    assert facts_for(role) is not None


def test_notebook_create_holders_match_gcp_notes() -> None:
    creators = {role for role in predefined_roles() if facts_for(role).notebook_create}  # type: ignore[union-attr]
    human_grantable = {role for role in creators if not role.lower().endswith("serviceagent")}
    assert human_grantable == NOTEBOOK_ADMINS | {"roles/notebooks.legacyAdmin", "roles/notebooks.runner"}


def test_notebook_set_iam_holders_match_gcp_notes() -> None:
    holders = {role for role in predefined_roles() if facts_for(role).notebook_set_iam}  # type: ignore[union-attr]
    assert holders - {"roles/notebooks.serviceAgent"} == {
        "roles/owner",
        "roles/notebooks.admin",
        "roles/notebooks.legacyAdmin",
        "roles/iam.securityAdmin",
    }


def test_notebooks_editor_creates_but_cannot_set_iam() -> None:
    facts = facts_for("roles/notebooks.editor")
    assert facts is not None
    assert facts.notebook_create and facts.notebook_reconfigure and facts.notebook_admin
    assert facts.notebook_start_stop and facts.notebook_use
    assert not facts.notebook_set_iam
    assert not facts.admin_role  # the name says editor; only the permissions say admin


def test_notebooks_viewer_grants_no_admin_permission() -> None:
    facts = facts_for("roles/notebooks.viewer")
    assert facts is not None
    assert not (facts.notebook_admin or facts.notebook_start_stop or facts.notebook_use)
    assert "notebooks.instances.list" in facts.permissions


def test_aiplatform_roles_hold_no_notebook_instance_permission() -> None:
    for role in ("roles/aiplatform.admin", "roles/aiplatform.user"):
        permissions = permissions_for(role)
        assert permissions is not None
        assert not any(p.startswith("notebooks.") for p in permissions), role


def test_security_admin_sets_notebook_iam_and_project_iam() -> None:
    facts = facts_for("roles/iam.securityAdmin")
    assert facts is not None
    assert facts.notebook_set_iam and facts.notebook_admin and facts.project_set_iam
    assert not facts.notebook_create


def test_act_as_and_impersonation() -> None:
    user = facts_for("roles/iam.serviceAccountUser")
    creator = facts_for("roles/iam.serviceAccountTokenCreator")
    assert user is not None and creator is not None
    assert user.act_as and not user.impersonate
    assert creator.impersonate and not creator.act_as
    for role in ("roles/owner", "roles/editor", "roles/iam.dataScientist"):
        assert facts_for(role).act_as, role  # type: ignore[union-attr]


def test_vm_control_and_basic_roles() -> None:
    instance_admin = facts_for("roles/compute.instanceAdmin.v1")
    owner = facts_for("roles/owner")
    assert instance_admin is not None and owner is not None
    assert instance_admin.vm_control and instance_admin.admin_role and not instance_admin.basic_role
    assert owner.basic_role and owner.admin_role and owner.project_set_iam and owner.notebook_admin


def test_unknown_roles_are_none_never_empty() -> None:
    assert permissions_for("roles/does.notExist") is None
    assert facts_for("roles/does.notExist") is None
    assert permissions_for("projects/p/roles/undeclared") is None
    assert facts_for("organizations/1/roles/undeclared") is None
    assert permissions_for("roles/browser") == frozenset()


def test_custom_roles_keep_every_declared_permission() -> None:
    declared = frozenset({"notebooks.instances.setMachineType", "storage.buckets.get"})
    custom = {"projects/p/roles/resizer": declared}
    assert permissions_for("projects/p/roles/resizer", custom) == declared
    facts = facts_for("projects/p/roles/resizer", custom)
    assert facts is not None
    assert facts.notebook_reconfigure and facts.notebook_admin and not facts.notebook_create
    assert not facts.admin_role


@pytest.mark.parametrize(
    ("role", "admin"),
    [
        ("roles/owner", True),
        ("roles/editor", True),
        ("roles/viewer", False),
        ("roles/notebooks.admin", True),
        ("roles/iam.serviceAccountAdmin", True),
        ("roles/compute.instanceAdmin.v1", True),
        ("roles/notebooks.legacyAdmin", True),
        ("roles/iam.serviceAccountUser", False),
        ("projects/p/roles/platformAdmin", True),
        ("roles/resourcemanager.projectIamAdmin", True),
        ("roles/iam.roleViewer", False),
    ],
)
def test_admin_role_names(role: str, admin: bool) -> None:
    assert is_admin_role_name(role) is admin


def test_as_dict_exposes_facts_and_sorted_permissions() -> None:
    facts = RoleFacts.from_permissions("projects/p/roles/x", frozenset({"b.c.d", "iam.serviceAccounts.actAs"}))
    values = facts.as_dict()
    assert values["act_as"] is True and values["notebook_admin"] is False
    assert values["permissions"] == ["b.c.d", "iam.serviceAccounts.actAs"]
    assert values["role"] == "projects/p/roles/x"
