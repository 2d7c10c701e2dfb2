"""Cloud Asset Inventory assets -> the same model objects the per-service API reader produces.

Both asset sources feed this module: the `ListAssets` reader (protobufs, turned into `AssetRecord`s) and export files
(newline-delimited JSON, snake_case or camelCase). RESOURCE and IAM_POLICY content arrive as separate assets of the
same `name`; they are joined here, so the order in which pages or files arrive does not matter. Addresses and scopes
are spelled exactly as the API reader spells them (`projects/ID`, not CAI's `projects/NUMBER`), so policies, drift
and reports cannot tell the two sources apart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from auditor.live.normalise import instance_v1, instance_v2
from auditor.model import (
    Authority,
    Binding,
    ComputeInstance,
    Condition,
    CustomRole,
    Folder,
    Intent,
    Location,
    NotebookInstance,
    Principal,
    Project,
    Scope,
    ScopeKind,
    ServiceAccount,
)

ORGANIZATION = "cloudresourcemanager.googleapis.com/Organization"
FOLDER = "cloudresourcemanager.googleapis.com/Folder"
PROJECT = "cloudresourcemanager.googleapis.com/Project"
SERVICE_ACCOUNT = "iam.googleapis.com/ServiceAccount"
ROLE = "iam.googleapis.com/Role"
NOTEBOOK_INSTANCE = "notebooks.googleapis.com/Instance"
COMPUTE_INSTANCE = "compute.googleapis.com/Instance"

ASSET_TYPES: tuple[str, ...] = (
    ORGANIZATION,
    FOLDER,
    PROJECT,
    SERVICE_ACCOUNT,
    ROLE,
    NOTEBOOK_INSTANCE,
    COMPUTE_INSTANCE,
)
"""Everything the auditor reads from the inventory."""

IAM_ASSET_TYPES: tuple[str, ...] = (
    ORGANIZATION,
    FOLDER,
    PROJECT,
    SERVICE_ACCOUNT,
    NOTEBOOK_INSTANCE,
    COMPUTE_INSTANCE,
)
"""The asset types whose IAM policies matter (custom roles carry none)."""

_CRM = "//cloudresourcemanager.googleapis.com/"


@dataclass(frozen=True, slots=True)
class AssetRecord:
    """One asset with either its resource, its IAM policy or both, in API JSON spelling below `data`."""

    name: str
    """Full resource name, `//iam.googleapis.com/projects/P/serviceAccounts/UNIQUE_ID`."""
    asset_type: str
    ancestors: tuple[str, ...] = ()
    """Closest first: `("projects/123", "folders/5", "organizations/1")`."""
    version: str = ""
    """`resource.version`: the API version the resource data follows (`v1`, `v2`)."""
    data: Mapping[str, Any] | None = None
    iam_policy: Mapping[str, Any] | None = None


def notebook_generation(record: AssetRecord) -> str:
    """v1 (user-managed notebooks) or v2 (Workbench Instances): both are `notebooks.googleapis.com/Instance`.

    The asset's `resource.version` names the notebooks API version whose schema `data` follows (`v1` or `v2`), so it
    decides. When it is missing (a hand-made or truncated export), the fields do: only v2 instances nest their VM
    settings in `gceSetup`; v1 instances carry `machineType`/`serviceAccount` at the top level.
    """
    version = record.version.lower()
    if version in ("v1", "v2"):
        return version
    return "v2" if "gceSetup" in (record.data or {}) else "v1"


class AssetCollector:
    """Accumulates assets (from any number of pages, parents or files) into one live `Intent`; thread-safe.

    Memory grows with the model objects kept, not with the pages: each asset is converted as it arrives. IAM
    policies wait for the end only to learn their resource's scope (a project's id, an account's email, an
    instance's generation), which may arrive later in another stream.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.assets_read = 0
        self._organization: str | None = None
        self._folders: dict[str, Folder] = {}
        self._projects: dict[str, Project] = {}
        """By CAI name (`//cloudresourcemanager.googleapis.com/projects/NUMBER`)."""
        self._accounts: dict[str, ServiceAccount] = {}
        self._instances: dict[str, NotebookInstance] = {}
        self._generations: dict[str, str] = {}
        self._roles: dict[str, CustomRole] = {}
        self.roles_seen = False
        """Any custom role asset came (deleted ones too): an export that holds none most likely left them out."""
        self._vms: dict[str, ComputeInstance] = {}
        self._policies: dict[str, tuple[str, Mapping[str, Any]]] = {}
        """Asset name -> (asset type, IAM policy JSON)."""

    def add_all(self, records: Iterable[AssetRecord]) -> None:
        for record in records:
            self.add(record)

    def add(self, record: AssetRecord) -> None:
        with self._lock:
            self.assets_read += 1
            if record.iam_policy is not None and record.iam_policy.get("bindings"):
                self._policies[record.name] = (record.asset_type, record.iam_policy)
            if record.data is not None:
                self._resource(record, record.data)

    def _resource(self, record: AssetRecord, data: Mapping[str, Any]) -> None:
        asset_type = record.asset_type
        if asset_type == ORGANIZATION:
            self._organization = str(data.get("name") or record.name.removeprefix(_CRM))
        elif asset_type == FOLDER:
            name = str(data.get("name") or record.name.removeprefix(_CRM))
            parent = data.get("parent") or (record.ancestors[1] if len(record.ancestors) > 1 else None)
            self._folders[name] = Folder(name, parent, str(data.get("displayName", "")), name)
        elif asset_type == PROJECT:
            project_id = str(data.get("projectId", ""))
            number = str(data.get("projectNumber") or record.name.rpartition("/")[2])
            self._projects[record.name] = Project(
                project_id or number,
                number,
                _project_parent(data, record.ancestors),
                f"projects/{project_id or number}",
                str(data.get("name", "")),
            )
        elif asset_type == SERVICE_ACCOUNT:
            email = str(data.get("email", ""))
            project_id = str(data.get("projectId") or _project_in(record.name))
            address = str(data.get("name") or f"projects/{project_id}/serviceAccounts/{email}")
            self._accounts[record.name] = ServiceAccount(
                email=email,
                project=project_id,
                address=address,
                location=Location(address),
                account_id=email.partition("@")[0],
                display_name=str(data.get("displayName", "")),
                disabled=bool(data.get("disabled", False)),
            )
        elif asset_type == ROLE:
            self.roles_seen = True
            name = str(data.get("name") or record.name.removeprefix("//iam.googleapis.com/"))
            if data.get("deleted"):
                return
            self._roles[name] = CustomRole(
                role=name,
                role_id=name.rpartition("/")[2],
                permissions=frozenset(str(p) for p in data.get("includedPermissions", [])),
                address=name,
                location=Location(name),
            )
        elif asset_type == NOTEBOOK_INSTANCE:
            generation = notebook_generation(record)
            fields = {**data, "name": data.get("name") or record.name.removeprefix("//notebooks.googleapis.com/")}
            normalise = instance_v1 if generation == "v1" else instance_v2
            self._instances[record.name] = normalise(fields, _project_in(str(fields["name"])))
            self._generations[record.name] = generation
        elif asset_type == COMPUTE_INSTANCE:
            self._vms[record.name] = compute_instance(record.name, data)

    def result(self) -> Intent:
        """Everything collected, in the API reader's order (sorted), IAM policies resolved to their scopes."""
        with self._lock:
            bindings: list[Binding] = []
            for name, (asset_type, policy) in self._policies.items():
                target = self._scope(name, asset_type)
                if target is not None:
                    scope, address = target
                    bindings.extend(bindings_from_json(policy, scope, address))
            bindings.sort(key=lambda b: (b.scope.kind.value, str(b.scope.name), *b.key))
            return Intent(
                bindings=tuple(bindings),
                service_accounts=tuple(sorted(self._accounts.values(), key=lambda a: str(a.email))),
                instances=tuple(sorted(self._instances.values(), key=lambda i: i.address)),
                custom_roles=tuple(sorted(self._roles.values(), key=lambda r: str(r.role))),
                projects=tuple(sorted(self._projects.values(), key=lambda p: str(p.id))),
                folders=tuple(sorted(self._folders.values(), key=lambda f: f.name)),
                organization=self._organization,
                compute_instances=tuple(sorted(self._vms.values(), key=lambda v: v.address)),
            )

    def _scope(self, name: str, asset_type: str) -> tuple[Scope, str] | None:
        """The scope and address an asset's IAM policy belongs to, spelled like the API reader."""
        if asset_type == ORGANIZATION:
            node = name.removeprefix(_CRM)
            return Scope(ScopeKind.ORGANIZATION, node), node
        if asset_type == FOLDER:
            node = name.removeprefix(_CRM)
            return Scope(ScopeKind.FOLDER, node), node
        if asset_type == PROJECT:
            project = self._projects.get(name)
            project_id = str(project.id) if project else name.rpartition("/")[2]
            return Scope(ScopeKind.PROJECT, project_id), f"projects/{project_id}"
        if asset_type == SERVICE_ACCOUNT:
            account = self._accounts.get(name)
            if account is None:
                # IAM without the resource (an IAM-only export): the unique id is all we know.
                resource = name.removeprefix("//iam.googleapis.com/")
                return Scope(ScopeKind.SERVICE_ACCOUNT, resource.rpartition("/")[2]), resource
            return Scope(ScopeKind.SERVICE_ACCOUNT, str(account.email)), account.address
        if asset_type == NOTEBOOK_INSTANCE:
            resource = name.removeprefix("//notebooks.googleapis.com/")
            generation = self._generations.get(name, "v2")
            kind = ScopeKind.NOTEBOOK_INSTANCE if generation == "v1" else ScopeKind.WORKBENCH_INSTANCE
            return Scope(kind, resource), resource
        if asset_type == COMPUTE_INSTANCE:
            resource = name.removeprefix("//compute.googleapis.com/")
            return Scope(ScopeKind.COMPUTE_INSTANCE, resource), resource
        return None


def compute_instance(asset_name: str, data: Mapping[str, Any]) -> ComputeInstance:
    """From a `compute.googleapis.com/Instance` asset (Compute API v1 JSON: `metadata.items[{key, value}]`)."""
    address = asset_name.removeprefix("//compute.googleapis.com/")
    parts = address.split("/")  # projects/P/zones/Z/instances/N
    accounts = [a.get("email") for a in data.get("serviceAccounts") or [] if a.get("email")]
    metadata = {
        str(item.get("key")): str(item.get("value", ""))
        for item in (data.get("metadata") or {}).get("items") or []
        if item.get("key")
    }
    return ComputeInstance(
        name=str(data.get("name") or parts[-1]),
        project=parts[1] if len(parts) > 1 else "",
        zone=parts[3] if len(parts) > 3 else str(data.get("zone", "")).rpartition("/")[2],
        address=address,
        location=Location(address),
        service_account=str(accounts[0]) if accounts else None,
        metadata=metadata,
    )


def bindings_from_json(policy: Mapping[str, Any], scope: Scope, address: str) -> tuple[Binding, ...]:
    """One live Binding per (role, condition) entry of an IAM policy in JSON form."""
    bindings = []
    for entry in policy.get("bindings", []):
        condition = None
        raw = entry.get("condition") or {}
        if raw.get("expression"):
            condition = Condition(raw["expression"], raw.get("title", ""), raw.get("description", ""))
        bindings.append(
            Binding(
                scope=scope,
                role=str(entry.get("role", "")),
                members=tuple(Principal.parse(str(member)) for member in entry.get("members", [])),
                authority=Authority.LIVE,
                address=address,
                location=Location(address),
                condition=condition,
            )
        )
    return tuple(bindings)


def _project_in(name: str) -> str:
    """`projects/P/...` (with or without the `//service/` prefix) -> P."""
    path = name.split("//", 1)[1].partition("/")[2] if name.startswith("//") else name
    return path.split("/")[1] if path.startswith("projects/") else ""


def _project_parent(data: Mapping[str, Any], ancestors: tuple[str, ...]) -> str | None:
    parent = data.get("parent")
    if isinstance(parent, Mapping) and parent.get("id"):
        kind = str(parent.get("type", "folder")).removesuffix("s")
        return f"{kind}s/{parent['id']}"
    if isinstance(parent, str) and parent:
        return parent.removeprefix(_CRM)
    return ancestors[1] if len(ancestors) > 1 else None
