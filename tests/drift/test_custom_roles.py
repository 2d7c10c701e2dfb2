"""drift-custom-role: declared custom roles against the live ones, by permissions."""

from __future__ import annotations

from auditor.drift.custom_roles import CUSTOM_ROLE, compare_custom_roles
from auditor.model import CustomRole, Intent, Location, Severity


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
    findings = {f.role: f for f in compare_custom_roles(declared, live, projects=["p"])}
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
    findings = {f.resource: f for f in compare_custom_roles(declared, live, projects=["p"])}
    assert set(findings) == {"m.google_project_iam_custom_role.x", "r.y"}  # z's project was not read
    assert all(f.rule == UNRESOLVED and f.severity is Severity.INFO for f in findings.values())
    assert "var.permissions" in findings["r.y"].message and findings["r.y"].role == "projects/p/roles/y"
