"""The resource hierarchy (organization -> folders -> projects) built from an `Intent`'s projects and folders.

IAM granted on a folder or the organization applies to everything below it; policies, drift and the access graph ask
this module which scopes sit above a project (its ancestry) and which projects sit below a scope.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.model import Finding, Folder, Intent, Project, Scope, ScopeKind, Unresolved


def node_name(scope: Scope) -> str | None:
    """The hierarchy node of a project/folder/organization scope (`projects/P`, `folders/N`, `organizations/N`)."""
    name = scope.name
    if isinstance(name, Unresolved):
        return None
    name = name.strip()
    match scope.kind:
        case ScopeKind.PROJECT:
            return f"projects/{name.removeprefix('projects/')}"
        case ScopeKind.FOLDER:
            return f"folders/{name.removeprefix('folders/')}"
        case ScopeKind.ORGANIZATION:
            return f"organizations/{name.removeprefix('organizations/')}"
        case _:
            return None


def project_of(scope: Scope) -> str | None:
    """The project id a scope lives in, when its name says so (None for folders and organizations)."""
    name = scope.name
    if isinstance(name, Unresolved):
        return None
    match scope.kind:
        case ScopeKind.PROJECT:
            return name.strip().removeprefix("projects/") or None
        case ScopeKind.SERVICE_ACCOUNT:
            email = name
            if "/serviceAccounts/" in name:
                prefix, _, email = name.partition("/serviceAccounts/")
                project = prefix.removeprefix("projects/")
                if project and project != "-":
                    return project
            domain = email.partition("@")[2]
            if domain.endswith(".iam.gserviceaccount.com"):
                return domain.removesuffix(".iam.gserviceaccount.com") or None
            return None
        case ScopeKind.NOTEBOOK_INSTANCE | ScopeKind.WORKBENCH_INSTANCE | ScopeKind.COMPUTE_INSTANCE:
            return name.split("/")[1] if name.startswith("projects/") and name.count("/") >= 2 else None
        case ScopeKind.FOLDER | ScopeKind.ORGANIZATION:
            return None
    return None


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """Parent links by node name; projects are keyed `projects/ID` (and `projects/NUMBER` when known)."""

    parents: dict[str, str] = field(default_factory=dict)
    organization: str | None = None

    @classmethod
    def of(cls, intent: Intent) -> Hierarchy:
        return cls.build(intent.projects, intent.folders, intent.organization)

    @classmethod
    def build(cls, projects: Iterable[Project], folders: Iterable[Folder], organization: str | None) -> Hierarchy:
        parents: dict[str, str] = {}
        for folder in folders:
            parent = folder.parent or organization
            if parent:
                parents[folder.name] = parent
        for project in projects:
            if isinstance(project.id, Unresolved):
                continue
            # A project without a known parent sits under the organization when there is one.
            parent = project.parent or organization
            if parent:
                parents[f"projects/{project.id}"] = parent
                if project.number:
                    parents[f"projects/{project.number}"] = parent
        return cls(parents, organization)

    def ancestors(self, node: str) -> tuple[str, ...]:
        """The nodes above `node`, closest first (`("folders/5", "organizations/1")`); a cycle stops the walk."""
        found: list[str] = []
        current = self.parents.get(node)
        while current is not None and current not in found and current != node:
            found.append(current)
            current = self.parents.get(current)
        return tuple(found)

    def project_ancestors(self, project_id: str) -> tuple[str, ...]:
        return self.ancestors(f"projects/{project_id.removeprefix('projects/')}")

    def contains(self, ancestor: str, node: str) -> bool:
        """Whether `ancestor` is `node` itself or above it."""
        return ancestor == node or ancestor in self.ancestors(node)

    def projects_under(self, ancestor: str) -> tuple[str, ...]:
        """Project ids at or below `ancestor`, sorted (numbers excluded when the id is known)."""
        return tuple(
            sorted(
                node.removeprefix("projects/")
                for node in self.parents
                if node.startswith("projects/") and not node[9:].isdigit() and self.contains(ancestor, node)
            )
        )


def project_of_resource(name: str) -> str | None:
    """The project id in a live resource name (`projects/P/...`, `//service/projects/P/...`, an account email)."""
    path = name.split("//", 1)[1].partition("/")[2] if name.startswith("//") else name
    if path.startswith("projects/"):
        return path.split("/")[1] or None
    if "@" in path and path.endswith(".iam.gserviceaccount.com"):
        return path.partition("@")[2].removesuffix(".iam.gserviceaccount.com") or None
    return None


def with_projects(findings: Iterable[Finding]) -> list[Finding]:
    """Findings with `project` filled in from their live resource name where the producer did not set it."""
    out = []
    for finding in findings:
        if finding.project is None:
            project = project_of_resource(finding.resource) or project_of_resource(finding.location.path)
            if project is not None:
                finding = dataclasses.replace(finding, project=project)
        out.append(finding)
    return out
