"""Drift of custom roles: a role Terraform declares, compared with the live role of the same name by permissions.

A custom role widened out of band grants every holder the new permissions at once, without any IAM policy change:
`drift-custom-role` is high when the live role adds an admin-level permission the declaration does not have, else
medium. Only roles whose parent (project or organization) was read are compared; a declared role with an
unresolved name or permissions is reported `drift-unresolved` (not compared), never passed silently. A parent whose
`roles.list` (or asset listing) failed is not compared: its roles are unknown, not missing.
"""

from __future__ import annotations

from auditor.drift.coverage import Audited, inferred
from auditor.drift.keys import Canon
from auditor.drift.rules import CUSTOM_ROLE, UNRESOLVED, drift_finding
from auditor.live.coverage import Coverage
from auditor.model import CustomRole, DriftDetail, Finding, Intent, Severity, Unresolved
from auditor.roles.catalog import ADMIN_LEVEL

__all__ = ["CUSTOM_ROLE", "compare_custom_roles", "declared_stand_ins"]


def compare_custom_roles(declared: Intent, live: Intent, *, coverage: Coverage | None = None) -> list[Finding]:
    """`drift-custom-role` findings, one per declared role whose live permissions differ (or that is missing live).

    `coverage`: what the read covered; a role is compared only where its parent's roles were listed without a
    failure. None: everything the live state shows was read completely.
    """
    canon = Canon((*live.projects, *declared.projects))
    audited = Audited(coverage if coverage is not None else inferred(live, ()), canon)
    live_roles = {_canonical(str(role.role), canon): role for role in live.custom_roles}
    findings = []
    for role in declared.custom_roles:
        name = role.role
        parent = _parent(role)
        if parent is not None and not audited.parent_read(parent):
            continue  # outside what was read
        if parent is not None and not audited.roles_read(parent):
            findings.append(_not_listed(role, parent))  # read, but its roles were not: never "missing", never silent
            continue
        if isinstance(name, Unresolved) or role.unresolved:
            findings.append(_unresolved(role))  # an unresolved parent might be one that was read
            continue
        finding = _compare(role, live_roles.get(_canonical(name, canon)))
        if finding is not None:
            findings.append(finding)
    return sorted(findings, key=lambda f: (f.location.path, f.location.line or 0, f.resource))


def declared_stand_ins(declared: Intent, live: Intent, coverage: Coverage) -> list[CustomRole]:
    """The declared custom roles that may stand for live ones when live grants are judged (a live role of the same
    name overrides its declaration): all but those whose parent was read while its roles were not listed. There
    the live role's permissions are unknown, so a live grant of it is judged as a grant of an unknown role, never
    by what Terraform says the role should be: a role widened out of band would pass as the declared one."""
    audited = Audited(coverage, Canon((*live.projects, *declared.projects)))
    return [
        role
        for role in declared.custom_roles
        if (parent := _parent(role)) is None or audited.roles_read(parent) or not audited.parent_read(parent)
    ]


def _parent(role: CustomRole) -> str | None:
    """`projects/P` or `organizations/O` of a role whose name is known."""
    return role.role.rpartition("/roles/")[0] if isinstance(role.role, str) else None


def _canonical(name: str, canon: Canon) -> str:
    """A project's role named through the project number compares as the one named through its id."""
    parent, _, role_id = name.rpartition("/roles/")
    if parent.startswith("projects/"):
        parent = f"projects/{canon.project(parent)}"
    return f"{parent}/roles/{role_id}"


def _compare(declared: CustomRole, live: CustomRole | None) -> Finding | None:
    name = str(declared.role)
    if live is None:
        return _finding(
            declared,
            Severity.MEDIUM,
            f"Terraform declares the custom role {name}, which does not exist live.",
            declared=", ".join(sorted(declared.permissions)),
            live="(missing)",
        )
    added = sorted(live.permissions - declared.permissions)
    removed = sorted(declared.permissions - live.permissions)
    if not added and not removed:
        return None
    admin = [p for p in added if p in ADMIN_LEVEL]
    parts = []
    if added:
        parts.append(f"adds {', '.join(added)}")
    if removed:
        parts.append(f"removes {', '.join(removed)}")
    why = f" Admin-level permissions added: {', '.join(admin)}." if admin else ""
    return _finding(
        declared,
        Severity.HIGH if admin else Severity.MEDIUM,
        f"The live custom role {name} {' and '.join(parts)} compared with Terraform.{why}",
        declared="removed live: " + (", ".join(removed) or "(none)"),
        live="added live: " + (", ".join(added) or "(none)"),
    )


def _unresolved(role: CustomRole) -> Finding:
    parts = role.unresolved or (str(role.role),)
    return drift_finding(
        UNRESOLVED,
        Severity.INFO,
        role,
        f"Cannot compare {role.address} with the live custom roles: declared value unresolved ({', '.join(parts)}).",
        role=role.role if isinstance(role.role, str) else None,
    )


def _not_listed(role: CustomRole, parent: str) -> Finding:
    return drift_finding(
        UNRESOLVED,
        Severity.INFO,
        role,
        f"Cannot compare {role.address} with the live custom roles: those of {parent} were not listed (a failed "
        "read, or an export without iam.googleapis.com/Role assets).",
        role=str(role.role),
    )


def _finding(role: CustomRole, severity: Severity, message: str, *, declared: str, live: str) -> Finding:
    name = str(role.role)
    return drift_finding(
        CUSTOM_ROLE,
        severity,
        role,
        message,
        role=name,
        drift=DriftDetail(declared=declared, live=live, field="included_permissions"),
        project=name.split("/")[1] if name.startswith("projects/") else None,
    )
