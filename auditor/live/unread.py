"""Failed live reads -> the scopes the drift comparison must not judge (it would claim "missing" or "clean")."""

from __future__ import annotations

from collections.abc import Iterable

from auditor.model import ReadError, Scope, ScopeKind

_INSTANCE_KINDS = {"v1": ScopeKind.NOTEBOOK_INSTANCE, "v2": ScopeKind.WORKBENCH_INSTANCE}


def unread_scopes(project_id: str, errors: Iterable[ReadError]) -> list[Scope]:
    """One scope per failed read; wildcard names stand for a listing that failed (see `drift.compare`)."""
    scopes: list[Scope] = []
    everything = f"projects/{project_id}/locations/*"
    for error in errors:
        call, resource = error.call, error.resource
        if call == "projects.get":
            continue  # the number only labels the report; the reads below fail or succeed on their own
        if call == "projects.getIamPolicy":
            scopes.append(Scope(ScopeKind.PROJECT, project_id))
        elif call == "serviceAccounts.list":
            scopes.append(Scope(ScopeKind.SERVICE_ACCOUNT, f"*@{project_id}.iam.gserviceaccount.com"))
        elif call == "serviceAccounts.getIamPolicy":
            scopes.append(Scope(ScopeKind.SERVICE_ACCOUNT, resource.rpartition("/")[2]))
        elif call == "locations.list":
            scopes.append(Scope(ScopeKind.NOTEBOOK_INSTANCE, f"{everything}/*"))
        elif call.endswith(".instances.list"):
            kind = _INSTANCE_KINDS[call.split(".")[0]]
            parent = resource if "/locations/" in resource else everything
            scopes.append(Scope(kind, parent.replace("/locations/-", "/locations/*") + "/*"))
        elif call.endswith(".instances.getIamPolicy"):
            scopes.append(Scope(_INSTANCE_KINDS[call.split(".")[0]], resource))
    return scopes
