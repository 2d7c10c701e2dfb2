"""Builders shared by the policy tests: model objects and a role lookup that needs no role catalog."""

from __future__ import annotations

from auditor.model import (
    Authority,
    Binding,
    Location,
    NotebookInstance,
    Principal,
    Scope,
    ScopeKind,
    ShieldedVm,
    Unresolved,
)
from auditor.policy.facts.base import documented_fields
from auditor.roles.catalog import RoleFacts

FACT_NAMES = tuple(name for name, _, _ in documented_fields(RoleFacts))

# Facts as the catalog states them for the roles the tests use (GCP-NOTES.md, 2026-08 snapshot).
_FACTS = {
    "roles/notebooks.admin": {
        "notebook_admin",
        "notebook_create",
        "notebook_delete",
        "notebook_reconfigure",
        "notebook_set_iam",
        "notebook_start_stop",
        "notebook_use",
        "admin_role",
    },
    "roles/notebooks.editor": {
        "notebook_create",
        "notebook_delete",
        "notebook_reconfigure",
        "notebook_start_stop",
        "notebook_use",
    },
    "roles/notebooks.viewer": set(),
    "roles/owner": {
        "notebook_admin",
        "notebook_create",
        "notebook_delete",
        "notebook_reconfigure",
        "notebook_set_iam",
        "notebook_start_stop",
        "notebook_use",
        "act_as",
        "impersonate",
        "project_set_iam",
        "vm_control",
        "basic_role",
        "admin_role",
    },
    "roles/viewer": set(),
    "roles/iam.serviceAccountUser": {"act_as"},
    "roles/compute.instanceAdmin.v1": {"vm_control", "act_as", "admin_role"},
    "projects/p/roles/resizer": {"notebook_reconfigure"},
}
_PERMISSIONS = {
    "projects/p/roles/resizer": {"notebooks.instances.setMachineType", "notebooks.instances.get"},
    "roles/notebooks.viewer": {"notebooks.instances.get", "notebooks.instances.list"},
}


def lookup(role: str) -> RoleFacts | None:
    if role not in _FACTS:
        return None
    facts = _FACTS[role]
    permissions = frozenset(_PERMISSIONS.get(role, ()))
    return RoleFacts(role=role, permissions=permissions, **{name: name in facts for name in FACT_NAMES})


def binding(
    role: str | Unresolved,
    *members: str | Unresolved,
    scope: ScopeKind = ScopeKind.PROJECT,
    scope_name: str | Unresolved = "p",
    address: str = "google_project_iam_member.x",
    line: int = 1,
) -> Binding:
    unresolved = tuple(v.expression for v in (role, *members) if isinstance(v, Unresolved))
    return Binding(
        scope=Scope(scope, scope_name),
        role=role,
        members=tuple(Principal.parse(m) for m in members),
        authority=Authority.MEMBER,
        address=address,
        location=Location("main.tf", line),
        unresolved=unresolved,
    )


def instance(address: str = "google_workbench_instance.nb", line: int = 1, **fields: object) -> NotebookInstance:
    defaults: dict[str, object] = {
        "name": "nb",
        "project": "p",
        "zone": "europe-west4-a",
        "generation": "v2",
        "service_account": "nb@p.iam.gserviceaccount.com",
        "public_ip": False,
        "shielded_vm": ShieldedVm(True, True, True),
        "metadata": {"notebook-disable-root": "true"},
    }
    defaults.update(fields)
    return NotebookInstance(address=address, location=Location("main.tf", line), **defaults)  # type: ignore[arg-type]
