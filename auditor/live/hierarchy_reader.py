"""Walk an organization or folder through resourcemanager v3 (the per-service path, `--source apis`): folders and
projects level by level, the IAM policy of each folder and of the organization, and the organization's custom roles.

The projects found are then read one by one by `reader.read_project`; this module only supplies the hierarchy and
the IAM granted above the projects, which applies to everything below it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from auditor.live.calls import Call
from auditor.live.clients import Endpoints, default_credentials, make_grpc_client, make_rest_client
from auditor.live.coverage import Coverage, Unread
from auditor.live.normalise import bindings_from_policy
from auditor.live.paging import advancing
from auditor.live.reader import PAGE_SIZE, read_custom_roles
from auditor.live.retry import RetryPolicy, make_retry, read_error
from auditor.model import Binding, CustomRole, Folder, Intent, Project, ReadError, Scope, ScopeKind

if TYPE_CHECKING:
    from auditor.live.sources import Scopes

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HierarchyRead:
    """What reading the organization and folders returned: the hierarchy, its grants, the projects below."""

    intent: Intent
    """Folders, projects (with parents), folder and organization bindings, organization custom roles."""
    errors: tuple[ReadError, ...]
    projects: tuple[str, ...]
    """Ids of every project found below the scopes."""
    calls: int
    coverage: Coverage = Coverage()
    """The nodes walked and the reads that failed (a failed listing leaves everything below it unknown)."""


def read_hierarchy(scopes: Scopes, *, endpoints: Endpoints, retry: RetryPolicy, concurrency: int = 16) -> HierarchyRead:
    from google.cloud import iam_admin_v1, resourcemanager_v3
    from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

    credentials = default_credentials(endpoints)
    clients = {
        "folders": make_rest_client(resourcemanager_v3.FoldersClient, endpoints, credentials, concurrency),
        "projects": make_rest_client(resourcemanager_v3.ProjectsClient, endpoints, credentials, concurrency),
        "organizations": make_rest_client(resourcemanager_v3.OrganizationsClient, endpoints, credentials, concurrency),
        "iam": make_grpc_client(iam_admin_v1.IAMClient, IAMGrpcTransport, endpoints, credentials),
    }
    walk = _Walk(clients, retry)
    try:
        level = [f"organizations/{o}" for o in scopes.organizations] + [f"folders/{f}" for f in scopes.folders]
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="auditor-hierarchy") as pool:
            for node in level:
                if node.startswith("organizations/"):
                    walk.organization = walk.organization or node
                    pool.submit(walk.roles, node)
            while level:
                level = [child for children in pool.map(walk.node, level) for child in children]
    finally:
        for client in clients.values():
            client.transport.close()
    return walk.result()


class _Walk:
    def __init__(self, clients: dict[str, Any], policy: RetryPolicy) -> None:
        from google.iam.v1 import iam_policy_pb2, options_pb2

        self._clients = clients
        self._retry = make_retry(policy)
        self._timeout = policy.attempt_timeout
        self._lock = threading.Lock()
        self.organization: str | None = None
        self._folders: dict[str, Folder] = {}
        self._projects: dict[str, Project] = {}
        self._bindings: list[Binding] = []
        self._roles: list[CustomRole] = []
        self._errors: list[ReadError] = []
        self._unread: set[Unread] = set()
        self._nodes: set[str] = set()
        self._calls = 0
        self._policy_request = lambda resource: iam_policy_pb2.GetIamPolicyRequest(
            resource=resource, options=options_pb2.GetPolicyOptions(requested_policy_version=3)
        )

    def _call(self, call: Call, node: str, function: Callable[..., T], **request: Any) -> T | None:
        with self._lock:
            self._calls += 1
        try:
            return function(**request, retry=self._retry, timeout=self._timeout)
        except Exception as error:  # noqa: BLE001 - every failure must reach the report
            self._failed(call, node, error)
            return None

    def _failed(self, call: Call, node: str, error: BaseException) -> None:
        with self._lock:
            self._errors.append(read_error(call.value, node, error))
            self._unread.add(Unread(call, None, node))

    def node(self, node: str) -> list[str]:
        """Read a folder's or organization's IAM and list its children; returns the child folders to walk next."""
        organization = node.startswith("organizations/")
        kind = "organizations" if organization else "folders"
        scope_kind = ScopeKind.ORGANIZATION if organization else ScopeKind.FOLDER
        with self._lock:
            self._nodes.add(node)
        policy = self._call(
            Call.ORGANIZATION_IAM if organization else Call.FOLDER_IAM,
            node,
            self._clients[kind].get_iam_policy,
            request=self._policy_request(node),
        )
        if policy is not None:
            found = bindings_from_policy(policy, Scope(scope_kind, node), node)
            with self._lock:
                self._bindings.extend(found)
        children: list[str] = []
        request = {"parent": node, "page_size": PAGE_SIZE}
        folders = self._call(Call.FOLDERS, node, self._clients["folders"].list_folders, request=request)
        try:
            for folder in (f for page in advancing(folders.pages) for f in page.folders) if folders else ():
                with self._lock:
                    self._folders[folder.name] = Folder(
                        folder.name, folder.parent or node, folder.display_name, folder.name
                    )
                children.append(folder.name)
        except Exception as error:  # noqa: BLE001 - a later page failed: keep what was read
            self._failed(Call.FOLDERS, node, error)
        projects = self._call(Call.PROJECTS, node, self._clients["projects"].list_projects, request=request)
        try:
            for project in (p for page in advancing(projects.pages) for p in page.projects) if projects else ():
                number = project.name.rpartition("/")[2]
                with self._lock:
                    self._projects[project.project_id] = Project(
                        project.project_id, number, project.parent or node, f"projects/{project.project_id}"
                    )
        except Exception as error:  # noqa: BLE001
            self._failed(Call.PROJECTS, node, error)
        return children

    def roles(self, organization: str) -> None:
        try:
            found = read_custom_roles(
                organization,
                lambda request: self._call(Call.ROLES, organization, self._clients["iam"].list_roles, request=request),
            )
        except Exception as error:  # noqa: BLE001 - a later page failed
            self._failed(Call.ROLES, organization, error)
            return
        with self._lock:
            self._roles.extend(found)

    def result(self) -> HierarchyRead:
        projects = tuple(sorted(self._projects))
        return HierarchyRead(
            intent=Intent(
                bindings=tuple(self._bindings),
                custom_roles=tuple(self._roles),
                projects=tuple(self._projects[p] for p in projects),
                folders=tuple(sorted(self._folders.values(), key=lambda f: f.name)),
                organization=self.organization,
            ),
            errors=tuple(self._errors),
            projects=projects,
            calls=self._calls,
            coverage=Coverage(nodes=frozenset(self._nodes), unread=frozenset(self._unread)),
        )
