"""Live API objects -> model objects, normalised exactly like the Terraform side so drift compares like with like.

Instances arrive as dicts with the API's JSON field names (`to_dict(..., use_integers_for_enums=False)`): enum values
the installed proto does not know stay bare ints, so nothing here assumes an enum `.name`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.model import (
    DEFAULT_SERVICE_ACCOUNT,
    Accelerator,
    Authority,
    Binding,
    Condition,
    Generation,
    Location,
    NotebookInstance,
    Principal,
    Scope,
    ScopeKind,
    ServiceAccount,
    ShieldedVm,
)

_UNSPECIFIED_ACCELERATOR = ("", "ACCELERATOR_TYPE_UNSPECIFIED", "0", 0)


def bindings_from_policy(policy: Any, scope: Scope, resource_name: str) -> tuple[Binding, ...]:
    """One live Binding per (role, condition) entry of a `google.iam.v1.Policy` protobuf."""
    bindings = []
    for entry in policy.bindings:
        condition = None
        if entry.HasField("condition") and entry.condition.expression:
            condition = Condition(entry.condition.expression, entry.condition.title, entry.condition.description)
        bindings.append(
            Binding(
                scope=scope,
                role=entry.role,
                members=tuple(Principal.parse(member) for member in entry.members),
                authority=Authority.LIVE,
                address=resource_name,
                location=Location(resource_name),
                condition=condition,
            )
        )
    return tuple(bindings)


def service_account(account: Any, project_id: str) -> ServiceAccount:
    """From an `iam_admin_v1.ServiceAccount`."""
    name = account.name or f"projects/{project_id}/serviceAccounts/{account.email}"
    return ServiceAccount(
        email=account.email,
        project=account.project_id or project_id,
        address=name,
        location=Location(name),
        account_id=account.email.partition("@")[0],
        display_name=account.display_name,
        disabled=bool(account.disabled),
    )


def instance_v1(fields: Mapping[str, Any], project_id: str) -> NotebookInstance:
    """From a notebooks v1 `Instance` as a JSON-named dict."""
    return _instance(
        fields,
        project_id,
        Generation.V1,
        fields,
        accelerators=[fields.get("acceleratorConfig") or {}],
        image_keys=("imageFamily", "imageName"),
        service_account=fields.get("serviceAccount") or DEFAULT_SERVICE_ACCOUNT,
        no_public_ip=fields.get("noPublicIp", False),
    )


def instance_v2(fields: Mapping[str, Any], project_id: str) -> NotebookInstance:
    """From a notebooks v2 (Workbench) `Instance` as a JSON-named dict."""
    setup = fields.get("gceSetup") or {}
    accounts = [a for a in setup.get("serviceAccounts") or [] if a.get("email")]
    return _instance(
        fields,
        project_id,
        Generation.V2,
        setup,
        accelerators=setup.get("acceleratorConfigs") or [],
        image_keys=("family", "name"),
        service_account=accounts[0]["email"] if accounts else DEFAULT_SERVICE_ACCOUNT,
        no_public_ip=setup.get("disablePublicIp", False),
    )


def _instance(
    fields: Mapping[str, Any],
    project_id: str,
    generation: Generation,
    vm: Mapping[str, Any],
    *,
    accelerators: list[Mapping[str, Any]],
    image_keys: tuple[str, str],
    service_account: str,
    no_public_ip: object,
) -> NotebookInstance:
    """An instance of either generation; `vm` holds its VM settings: the instance itself (v1) or its `gceSetup` (v2)."""
    name = str(fields["name"])
    family, image = image_keys
    return NotebookInstance(
        name=name.rpartition("/")[2],
        project=project_id,
        zone=_zone(name),
        generation=generation,
        address=name,
        location=Location(name),
        machine_type=_short(vm.get("machineType")),
        accelerators=_accelerators(accelerators),
        image=_image(vm.get("vmImage"), vm.get("containerImage"), family=family, image=image),
        service_account=service_account,
        public_ip=not no_public_ip,
        shielded_vm=_shielded(vm.get("shieldedInstanceConfig")),
        metadata=_strings(vm.get("metadata")),
        labels=_strings(fields.get("labels")),
    )


def _zone(name: str) -> str:
    return name.partition("/locations/")[2].split("/", 1)[0]


def _short(value: Any) -> str | None:
    """`machineType` is sometimes a full Compute URL; the model keeps the last path segment (`n1-standard-4`)."""
    return str(value).rstrip("/").rpartition("/")[2] if value else None


def _accelerators(configs: list[Mapping[str, Any]]) -> tuple[Accelerator, ...]:
    accelerators = []
    for config in configs:
        kind = config.get("type", "")
        count = int(config.get("coreCount") or 0)
        if kind in _UNSPECIFIED_ACCELERATOR and not count:
            continue
        # An int is an accelerator type newer than the installed proto; keep its number rather than guess a name.
        accelerators.append(Accelerator(type=str(kind), core_count=count))
    return tuple(accelerators)


def _image(vm_image: Any, container: Any, *, family: str, image: str) -> str | None:
    if container and container.get("repository"):
        return f"container:{container['repository']}:{container.get('tag') or 'latest'}"
    if vm_image:
        project = vm_image.get("project", "")
        if vm_image.get(family):
            return f"{project}/family:{vm_image[family]}"
        if vm_image.get(image):
            return f"{project}/image:{vm_image[image]}"
    return None


def _shielded(config: Mapping[str, Any] | None) -> ShieldedVm:
    """Absent config: None (the API did not say); present: its booleans, where an omitted one is false."""
    if config is None:
        return ShieldedVm()
    return ShieldedVm(
        secure_boot=bool(config.get("enableSecureBoot", False)),
        vtpm=bool(config.get("enableVtpm", False)),
        integrity_monitoring=bool(config.get("enableIntegrityMonitoring", False)),
    )


def _strings(mapping: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (mapping or {}).items()}


def project_scope(project_id: str) -> Scope:
    return Scope(ScopeKind.PROJECT, project_id)
