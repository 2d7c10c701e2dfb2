"""The simulated Cloud Asset Inventory and IAM custom roles, derived from the same state file as the other services.

Every organization, folder, project, service account, custom role, notebook instance (both generations) and Compute
Engine instance of the state becomes one `Asset` as `ListAssets` returns it (API JSON names): full names such as
`//cloudresourcemanager.googleapis.com/projects/NUMBER`, `ancestors` closest first, the resource's `data` and its IAM
policy. `ListAssets` filters by parent (anything at or below it), `asset_types` (RE2-style full match, like the
real API) and `content_type`, and pages like the real service (at most 1,000 per page).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.live.assets import (
    COMPUTE_INSTANCE,
    FOLDER,
    NOTEBOOK_INSTANCE,
    ORGANIZATION,
    PROJECT,
    ROLE,
    SERVICE_ACCOUNT,
)
from auditor.live.simulator.state import ApiError, SimulatedCloud, permission_denied, versioned_policy

MAX_ASSET_PAGE = 1000
"""ListAssets' largest page; the state's `assetPageSize` lowers it (to test paging with a small state)."""

CONTENT_TYPES = ("CONTENT_TYPE_UNSPECIFIED", "RESOURCE", "IAM_POLICY")
"""The content types served; the others (ORG_POLICY, ACCESS_POLICY, ...) answer no assets."""

_CRM = "//cloudresourcemanager.googleapis.com/"


@dataclass(frozen=True, slots=True)
class SimAsset:
    """One asset as the simulated Cloud Asset Inventory serves it."""

    name: str
    asset_type: str
    ancestors: tuple[str, ...]
    resource: Mapping[str, Any]
    """`{version, discoveryName, parent, data, location}`."""
    iam_policy: Mapping[str, Any] | None

    def as_json(self, content_type: str) -> dict[str, Any]:
        """The asset as ListAssets returns it (camelCase) for `content_type`."""
        asset: dict[str, Any] = {"name": self.name, "assetType": self.asset_type, "ancestors": list(self.ancestors)}
        if content_type == "RESOURCE":
            asset["resource"] = copy.deepcopy(dict(self.resource))
        elif content_type == "IAM_POLICY" and self.iam_policy is not None:
            asset["iamPolicy"] = versioned_policy(self.iam_policy, 3)
        return asset


def project_number(project: Mapping[str, Any]) -> str:
    """The state's `projectNumber`, or a stable made-up one (CAI names projects by number)."""
    number = project.get("projectNumber")
    if number:
        return str(number)
    return str(int(hashlib.sha256(str(project["projectId"]).encode()).hexdigest(), 16) % 10**12)


def build_assets(state: Mapping[str, Any]) -> list[SimAsset]:
    """Every asset of the state, in a stable order (hierarchy first, then each project's resources)."""
    assets: list[SimAsset] = []
    organization = state.get("organization")
    org_node = f"organizations/{organization['id']}" if organization else None
    parents: dict[str, str] = {}
    for folder in state.get("folders", []):
        parent = folder.get("parent") or org_node
        if parent:
            parents[folder["name"]] = parent

    def chain(node: str) -> tuple[str, ...]:
        found = [node]
        current = parents.get(node)
        while current is not None and current not in found:
            found.append(current)
            current = parents.get(current)
        return tuple(found)

    if organization:
        assets.append(
            SimAsset(
                f"{_CRM}{org_node}",
                ORGANIZATION,
                (str(org_node),),
                _resource(
                    "v1",
                    "Organization",
                    "",
                    {
                        "name": org_node,
                        "displayName": organization.get("displayName", ""),
                        "lifecycleState": "ACTIVE",
                    },
                ),
                organization.get("iamPolicy"),
            )
        )
        assets.extend(_roles(organization.get("customRoles", []), (str(org_node),)))
    for folder in state.get("folders", []):
        name = folder["name"]
        parent = parents.get(name, "")
        data = {"name": name, "parent": parent, "displayName": folder.get("displayName", "")}
        resource = _resource("v2", "Folder", f"{_CRM}{parent}" if parent else "", data)
        assets.append(SimAsset(f"{_CRM}{name}", FOLDER, chain(name), resource, folder.get("iamPolicy")))
    for project in state.get("projects", []):
        assets.extend(_project_assets(project, org_node, chain))
    return assets


def _project_assets(project: Mapping[str, Any], org_node: str | None, chain: Any) -> list[SimAsset]:
    project_id = str(project["projectId"])
    number = project_number(project)
    # A project without parent sits under the organization when there is one.
    parent = project.get("parent") or org_node or ""
    ancestors = (f"projects/{number}", *(chain(parent) if parent else ()))
    kind, _, parent_id = parent.partition("s/")
    data: dict[str, Any] = {
        "projectNumber": number,
        "projectId": project_id,
        "name": project.get("displayName", project_id),
        "lifecycleState": "ACTIVE",
    }
    if parent:
        data["parent"] = {"type": kind, "id": parent_id}
    iam = "//iam.googleapis.com/"
    assets = [
        SimAsset(
            f"{_CRM}projects/{number}",
            PROJECT,
            ancestors,
            _resource("v1", "Project", f"{_CRM}{parent}" if parent else "", data),
            project.get("iamPolicy"),
        )
    ]
    project_full = f"{_CRM}projects/{number}"
    for account in project.get("serviceAccounts", []):
        email = account["email"]
        unique_id = account.get("uniqueId") or str(int(hashlib.sha256(email.encode()).hexdigest(), 16) % 10**21)
        account_data = {k: v for k, v in account.items() if k != "iamPolicy"}
        account_data.setdefault("name", f"projects/{project_id}/serviceAccounts/{email}")
        account_data.setdefault("projectId", project_id)
        account_data["uniqueId"] = unique_id
        assets.append(
            SimAsset(
                f"{iam}projects/{project_id}/serviceAccounts/{unique_id}",
                SERVICE_ACCOUNT,
                ancestors,
                _resource("v1", "ServiceAccount", project_full, account_data),
                account.get("iamPolicy"),
            )
        )
    assets.extend(_roles(project.get("customRoles", []), ancestors))
    for generation, key in (("v1", "notebookInstances"), ("v2", "workbenchInstances")):
        for instance in project.get(key, []):
            # Both generations share the asset type; `resource.version` (the API version) tells them apart.
            assets.append(
                SimAsset(
                    f"//notebooks.googleapis.com/{instance['name']}",
                    NOTEBOOK_INSTANCE,
                    ancestors,
                    _resource(generation, "Instance", project_full, _without_policy(instance), _zone(instance["name"])),
                    instance.get("iamPolicy"),
                )
            )
    for vm in project.get("computeInstances", []):
        name = vm["name"]
        zone = name.partition("/zones/")[2].split("/", 1)[0]
        vm_data = _without_policy(vm)
        vm_data["name"] = name.rpartition("/")[2]
        vm_data["zone"] = f"https://www.googleapis.com/compute/v1/projects/{project_id}/zones/{zone}"
        vm_data["selfLink"] = f"https://www.googleapis.com/compute/v1/{name}"
        assets.append(
            SimAsset(
                f"//compute.googleapis.com/{name}",
                COMPUTE_INSTANCE,
                ancestors,
                _resource("v1", "Instance", project_full, vm_data, zone),
                vm.get("iamPolicy"),
            )
        )
    return assets


def _roles(roles: Sequence[Mapping[str, Any]], ancestors: tuple[str, ...]) -> list[SimAsset]:
    return [
        SimAsset(
            f"//iam.googleapis.com/{role['name']}",
            ROLE,
            ancestors,
            _resource("v1", "Role", f"{_CRM}{ancestors[0]}", role_view(role, full=True)),
            None,
        )
        for role in roles
    ]


def role_view(role: Mapping[str, Any], *, full: bool) -> dict[str, Any]:
    """A custom role as IAM admin returns it: BASIC leaves out the permissions."""
    view = {
        "name": role["name"],
        "title": role.get("title", role["name"].rpartition("/")[2]),
        "description": role.get("description", ""),
        "stage": role.get("stage", "GA"),
        "etag": role.get("etag", "BwYsimetag="),
    }
    if full:
        view["includedPermissions"] = list(role.get("includedPermissions", []))
    return view


def _resource(
    version: str, discovery_name: str, parent: str, data: Mapping[str, Any], location: str = "global"
) -> dict[str, Any]:
    return {
        "version": version,
        "discoveryName": discovery_name,
        "parent": parent,
        "data": dict(data),
        "location": location,
    }


def _zone(name: str) -> str:
    return name.partition("/locations/")[2].split("/", 1)[0]


def _without_policy(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != "iamPolicy"}


class AssetInventory:
    """`ListAssets` and `ListRoles` over one `SimulatedCloud` (faults, latency and call counts are the cloud's)."""

    def __init__(self, cloud: SimulatedCloud, state: Mapping[str, Any]) -> None:
        self._cloud = cloud
        self._state = state
        self._assets = build_assets(state)
        self.page_size = min(MAX_ASSET_PAGE, int(state.get("assetPageSize", MAX_ASSET_PAGE)))
        self._numbers = {str(p["projectId"]): project_number(p) for p in state.get("projects", [])}
        self._lock = threading.Lock()
        self._selections: dict[tuple[str, tuple[str, ...], str], list[SimAsset]] = {}

    def list_assets(
        self, parent: str, asset_types: Sequence[str], content_type: str, page_size: int, page_token: str
    ) -> tuple[list[SimAsset], str]:
        """(the page's assets, next page token); render each with `SimAsset.as_json(content_type)`."""
        self._cloud.begin("assets.list", parent)
        node = self._node(parent)
        selected = self._select(node, tuple(asset_types), content_type)
        size = min(page_size or 100, self.page_size)
        start = _offset(page_token)
        end = start + size
        token = base64.urlsafe_b64encode(f"a{end}".encode()).decode() if end < len(selected) else ""
        return selected[start:end], token

    def _node(self, parent: str) -> str:
        kind, _, ident = parent.partition("/")
        if kind == "organizations":
            organization = self._state.get("organization")
            if organization and str(organization["id"]) == ident:
                return parent
        elif kind == "folders":
            if any(f["name"] == parent for f in self._state.get("folders", [])):
                return parent
        elif kind == "projects":
            if ident in self._numbers:
                return f"projects/{self._numbers[ident]}"
            if ident in self._numbers.values():
                return parent
        raise permission_denied("assets.list", parent)

    def _select(self, node: str, asset_types: tuple[str, ...], content_type: str) -> list[SimAsset]:
        key = (node, asset_types, content_type)
        with self._lock:
            if key in self._selections:
                return self._selections[key]
        try:
            patterns = [re.compile(pattern) for pattern in asset_types]
        except re.error as error:
            raise ApiError(400, f"Invalid asset_types regular expression: {error}") from None
        selected = [
            asset
            for asset in self._assets
            if node in asset.ancestors
            and (not patterns or any(p.fullmatch(asset.asset_type) for p in patterns))
            and _has_content(asset, content_type)
        ]
        with self._lock:
            self._selections[key] = selected
        return selected

    def list_roles(self, parent: str, full: bool, page_size: int, page_token: str) -> tuple[list[dict], str]:
        self._cloud.begin("roles.list", parent)
        if not parent:
            return [], ""  # the predefined roles: the auditor's role catalog knows them, the simulator serves none
        kind, _, ident = parent.partition("/")
        owner: Mapping[str, Any] | None = None
        if kind == "organizations":
            organization = self._state.get("organization")
            owner = organization if organization and str(organization["id"]) == ident else None
        elif kind == "projects":
            owner = next(
                (p for p in self._state.get("projects", []) if ident in (p["projectId"], project_number(p))), None
            )
        if owner is None:
            raise permission_denied("roles.list", parent)
        roles = [role_view(role, full=full) for role in owner.get("customRoles", [])]
        return self._cloud.page(roles, page_size, page_token)


def _has_content(asset: SimAsset, content_type: str) -> bool:
    if content_type == "IAM_POLICY":
        return bool(asset.iam_policy and asset.iam_policy.get("bindings"))
    return content_type in ("RESOURCE", "CONTENT_TYPE_UNSPECIFIED")


def _offset(page_token: str) -> int:
    if not page_token:
        return 0
    try:
        text = base64.urlsafe_b64decode(page_token.encode()).decode()
        if not text.startswith("a"):
            raise ValueError(text)
        return int(text[1:])
    except ValueError:
        raise ApiError(400, "Invalid page token.", reason="INVALID_PAGE_TOKEN") from None


class ResourceManager:
    """resourcemanager v3 over the hierarchy (folders and projects listed by parent, folder and organization IAM):
    what the per-service reader needs to walk an organization without Cloud Asset Inventory."""

    def __init__(self, cloud: SimulatedCloud, state: Mapping[str, Any]) -> None:
        self._cloud = cloud
        self._state = state
        organization = state.get("organization")
        self._org_node = f"organizations/{organization['id']}" if organization else None

    def route(self, path: str, query: Mapping[str, str], version: Callable[[], int]) -> dict[str, Any] | None:
        """Answer a REST read, or None when `path` is not one of these."""
        if path == "/v3/folders":
            folders, token = self.list_folders(query.get("parent", ""), int(query.get("pageSize") or 0), query)
            return {"folders": folders, "nextPageToken": token} if token else {"folders": folders}
        if path == "/v3/projects":
            projects, token = self.list_projects(query.get("parent", ""), int(query.get("pageSize") or 0), query)
            return {"projects": projects, "nextPageToken": token} if token else {"projects": projects}
        if m := re.fullmatch(r"/v3/(organizations/[^/:]+):getIamPolicy", path):
            return self.get_iam_policy("organizations.getIamPolicy", m[1], version())
        if m := re.fullmatch(r"/v3/(folders/[^/:]+):getIamPolicy", path):
            return self.get_iam_policy("folders.getIamPolicy", m[1], version())
        return None

    def list_folders(self, parent: str, page_size: int, query: Mapping[str, str]) -> tuple[list[dict], str]:
        self._cloud.begin("folders.list", parent)
        self._known("folders.list", parent)
        folders = [
            {
                "name": f["name"],
                "parent": f.get("parent") or self._org_node,
                "displayName": f.get("displayName", ""),
                "state": "ACTIVE",
            }
            for f in self._state.get("folders", [])
            if (f.get("parent") or self._org_node) == parent
        ]
        return self._cloud.page(folders, page_size, query.get("pageToken", ""))

    def list_projects(self, parent: str, page_size: int, query: Mapping[str, str]) -> tuple[list[dict], str]:
        self._cloud.begin("projects.list", parent)
        self._known("projects.list", parent)
        projects = [
            {
                "name": f"projects/{project_number(p)}",
                "projectId": p["projectId"],
                "parent": p.get("parent") or self._org_node,
                "displayName": p.get("displayName", p["projectId"]),
                "state": "ACTIVE",
            }
            for p in self._state.get("projects", [])
            if (p.get("parent") or self._org_node) == parent
        ]
        return self._cloud.page(projects, page_size, query.get("pageToken", ""))

    def get_iam_policy(self, call: str, resource: str, requested_version: int) -> dict[str, Any]:
        self._cloud.begin(call, resource)
        if resource == self._org_node:
            return versioned_policy(self._state["organization"].get("iamPolicy"), requested_version)
        folder = next((f for f in self._state.get("folders", []) if f["name"] == resource), None)
        if folder is None:
            raise permission_denied(call, resource)
        return versioned_policy(folder.get("iamPolicy"), requested_version)

    def _known(self, call: str, parent: str) -> None:
        if parent != self._org_node and not any(f["name"] == parent for f in self._state.get("folders", [])):
            raise permission_denied(call, parent)
