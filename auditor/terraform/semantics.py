"""Semantics: `ResourceInstance`s from either Terraform source into the typed intent model.

This is the one place that knows what each google provider resource type means for IAM: which resource a
binding is attached to, how authoritative it is, how v1 and v2 notebook instances map onto one shape, and which
combinations of resources fight each other on every apply. Unknown values are kept and reported, never dropped.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from auditor.identities import Directory, account_email
from auditor.model import (
    DEFAULT_SERVICE_ACCOUNT,
    Accelerator,
    Authority,
    Binding,
    ComputeInstance,
    Condition,
    CustomRole,
    DenyPolicy,
    DenyRule,
    Generation,
    GroupMembership,
    InputError,
    Intent,
    NotebookInstance,
    Principal,
    Scope,
    ScopeKind,
    ServiceAccount,
    ServiceAccountKey,
    ShieldedVm,
    Unresolved,
)
from auditor.terraform.conflicts import find_conflicts
from auditor.terraform.resources import ResourceInstance, Value

_IAM_TYPE = re.compile(
    r"^google_(?P<target>project|folder|organization|service_account|notebooks_instance|workbench_instance"
    r"|compute_instance)"
    r"_iam_(?P<authority>policy|binding|member|member_remove)$"
)
_AUTHORITY = {
    "policy": Authority.POLICY,
    "binding": Authority.BINDING,
    "member": Authority.MEMBER,
    "member_remove": Authority.REMOVE,
}
_SCOPE_KIND = {
    "project": ScopeKind.PROJECT,
    "folder": ScopeKind.FOLDER,
    "organization": ScopeKind.ORGANIZATION,
    "service_account": ScopeKind.SERVICE_ACCOUNT,
    "notebooks_instance": ScopeKind.NOTEBOOK_INSTANCE,
    "workbench_instance": ScopeKind.WORKBENCH_INSTANCE,
    "compute_instance": ScopeKind.COMPUTE_INSTANCE,
}
_SERVICE_ACCOUNT_NAME = re.compile(r"^projects/[^/]+/serviceAccounts/(?P<account>[^/]+)$")
_INSTANCE_NAME = re.compile(
    r"^(?:projects/)?(?P<project>[^/]+)/(?:locations/)?(?P<location>[^/]+)/(?:instances/)?(?P<name>[^/]+)$"
)
_LOCATION_NAME = re.compile(r"^(?P<location>[^/]+)/(?P<name>[^/]+)$")


@dataclass
class _Collected:
    """What `build_intent` gathers, by kind, before it freezes it into an `Intent`."""

    bindings: list[Binding] = field(default_factory=list)
    service_accounts: list[ServiceAccount] = field(default_factory=list)
    keys: list[ServiceAccountKey] = field(default_factory=list)
    instances: list[NotebookInstance] = field(default_factory=list)
    custom_roles: list[CustomRole] = field(default_factory=list)
    compute_instances: list[ComputeInstance] = field(default_factory=list)
    group_memberships: list[GroupMembership] = field(default_factory=list)
    deny_policies: list[DenyPolicy] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    directory: Directory = field(default_factory=lambda: Directory.of(()))
    """The declared service accounts: members, scopes and instances name them by their declaring address."""
    empty_policies: list[Binding] = field(default_factory=list)
    """Stand-ins for `_iam_policy` resources that grant nothing: no binding in the model, but still a claim
    on the whole policy that fights any other IAM resource on the scope."""


def build_intent(resources: Iterable[ResourceInstance], errors: Iterable[InputError] = ()) -> Intent:
    """The intent model of a set of resource instances (from HCL or a plan), plus the sources' read errors."""
    collected = _Collected(errors=list(errors))
    resources = [r for r in resources if r.mode == "managed"]
    # data sources (google_iam_policy) are consumed through the attributes that reference them
    collected.service_accounts = [_service_account(r) for r in resources if r.type == "google_service_account"]
    directory = collected.directory = Directory.of((a.address, a.email) for a in collected.service_accounts)
    groups = _group_emails(r for r in resources if r.type == "google_cloud_identity_group")
    for resource in resources:
        iam = _IAM_TYPE.match(resource.type)
        if iam:
            collected.bindings += _iam_bindings(resource, iam["target"], _AUTHORITY[iam["authority"]], collected)
        elif resource.type == "google_service_account_key":
            account = _service_account_email(resource.get("service_account_id"), resource)
            collected.keys.append(ServiceAccountKey(account, resource.address, resource.location))
        elif resource.type == "google_notebooks_instance":
            collected.instances.append(_notebook_v1(resource, directory))
        elif resource.type == "google_workbench_instance":
            collected.instances.append(_workbench_v2(resource, directory))
        elif resource.type in ("google_project_iam_custom_role", "google_organization_iam_custom_role"):
            collected.custom_roles.append(_custom_role(resource))
        elif resource.type == "google_compute_instance":
            collected.compute_instances.append(_compute_instance(resource))
        elif resource.type == "google_cloud_identity_group_membership":
            collected.group_memberships += _group_memberships(resource, groups)
        elif resource.type == "google_iam_deny_policy":
            collected.deny_policies.append(_deny_policy(resource))
    return Intent(
        bindings=tuple(collected.bindings),
        service_accounts=tuple(collected.service_accounts),
        keys=tuple(collected.keys),
        instances=tuple(collected.instances),
        custom_roles=tuple(collected.custom_roles),
        compute_instances=tuple(
            replace(c, identity=directory.identity_of(c.service_account)) for c in collected.compute_instances
        ),
        group_memberships=tuple(collected.group_memberships),
        deny_policies=tuple(collected.deny_policies),
        conflicts=tuple(find_conflicts(collected.bindings + collected.empty_policies)),
        errors=tuple(collected.errors),
    )


# --- identities ---------------------------------------------------------------------------------------------------


def _member_identity(principal: Principal, directory: Directory) -> Principal:
    identity = directory.identity_of(principal.value if principal.value is not None else principal.member)
    if identity is None or identity == principal.identity:
        return principal
    return replace(principal, identity=identity)


# --- values -------------------------------------------------------------------------------------------------------


def _unresolved_texts(*values: Value) -> list[str]:
    """Expression texts of every unknown inside the values, in order, without repeats."""
    texts: list[str] = []

    def walk(value: Value) -> None:
        if value is None or type(value) is str:
            return  # most values: nothing to look into
        if isinstance(value, Unresolved):
            if value.expression not in texts:
                texts.append(value.expression)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (Scope, Condition)):
            walk(value.name if isinstance(value, Scope) else [value.expression, value.title, value.description])

    for value in values:
        walk(value)
    return texts


def _text(value: Value, what: str, resource: ResourceInstance) -> str | Unresolved:
    """A string attribute; anything else (a wrong type from a mangled input) becomes an unknown, never a guess."""
    if isinstance(value, (str, Unresolved)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return Unresolved(f"{resource.address}.{what}")


def _optional_text(value: Value) -> str | Unresolved | None:
    if value is None or value == "":
        return None
    if isinstance(value, (str, Unresolved)):
        return value
    return str(value)


def _flag(value: Value) -> bool | Unresolved | None:
    if value is None or isinstance(value, (bool, Unresolved)):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return Unresolved(str(value))


def _string_map(value: Value, what: str, resource: ResourceInstance) -> dict[str, str | Unresolved]:
    if isinstance(value, Unresolved):
        # The whole map is unknown: a `*` key carries it, so consumers can tell "unknown" from "empty".
        return {"*": value}
    if not isinstance(value, dict):
        return {}
    return {str(k): _text(v, f"{what}.{k}", resource) for k, v in value.items()}


def _project(resource: ResourceInstance, value: Value = None) -> str | Unresolved:
    """The resource's project, falling back to the provider's default project when the attribute is unset."""
    project = resource.get("project") if value is None else value
    if project is None or project == "":
        project = resource.provider_project
    if project is None or project == "":
        # Every resource without a project shares the provider's unknown default: one symbolic project.
        return Unresolved("provider.google.project (no project set and no provider default)", "provider.google.project")
    project = _text(project, "project", resource)
    return project.removeprefix("projects/") if isinstance(project, str) else project


# --- scopes -------------------------------------------------------------------------------------------------------


def _scope(resource: ResourceInstance, target: str) -> Scope:
    kind = _SCOPE_KIND[target]
    if target == "project":
        return Scope(kind, _project(resource))
    if target == "folder":
        folder = _text(resource.get("folder"), "folder", resource)
        if isinstance(folder, str) and not folder.startswith("folders/"):
            folder = f"folders/{folder}"
        return Scope(kind, folder)
    if target == "organization":
        org = _text(resource.get("org_id"), "org_id", resource)
        if isinstance(org, str) and not org.startswith("organizations/"):
            org = f"organizations/{org}"
        return Scope(kind, org)
    if target == "service_account":
        return Scope(kind, _service_account_email(resource.get("service_account_id"), resource))
    if target == "compute_instance":
        return Scope(kind, _compute_scope_name(resource))
    name_attribute = "instance_name" if target == "notebooks_instance" else "name"
    return Scope(kind, _instance_scope_name(resource, name_attribute))


def _service_account_email(value: Value, resource: ResourceInstance) -> str | Unresolved:
    """`projects/P/serviceAccounts/EMAIL`, an email or a unique id, as the email (or the unique id)."""
    account = _text(value, "service_account_id", resource)
    if isinstance(account, str):
        match = _SERVICE_ACCOUNT_NAME.match(account)
        if match:
            return match["account"]
    elif account.declared_by is not None and account.shape is not None:
        # `google_service_account.x.name` in a module: the email is the shape's last part, the account is x.
        shape = account_email(account.shape)
        return Unresolved(f"{account.declared_by}.email", shape=shape, declared_by=account.declared_by)
    return account


def _instance_scope_name(resource: ResourceInstance, name_attribute: str) -> str | Unresolved:
    """`projects/P/locations/L/instances/N`; the name may itself be a full or partial instance id."""
    name = _text(resource.get(name_attribute), name_attribute, resource)
    project: str | Unresolved | None = None
    location: Value = resource.get("location")
    if isinstance(name, str):
        full = _INSTANCE_NAME.match(name)
        partial = _LOCATION_NAME.match(name)
        if full:
            project, location, name = full["project"], full["location"], full["name"]
        elif partial:
            location, name = partial["location"], partial["name"]
    if project is None:
        project = _project(resource)
    if location is None or location == "":
        location = resource.provider_zone
    if location is None or location == "":
        location = Unresolved(f"{resource.address}.location (no location set and no provider zone)")
    location = _text(location, "location", resource)
    parts = (project, location, name)
    unknown = [p for p in parts if isinstance(p, Unresolved)]
    if unknown:
        # Keep every known part visible in the text so a reader can still tell which instance is meant.
        return Unresolved(f"projects/{project}/locations/{location}/instances/{name}")
    return f"projects/{project}/locations/{location}/instances/{name}"


# --- IAM ----------------------------------------------------------------------------------------------------------


def _condition(block: Mapping[str, Value] | None, resource: ResourceInstance) -> Condition | None:
    if not block:
        return None
    return Condition(
        expression=_text(block.get("expression"), "condition.expression", resource),
        title=_optional_text(block.get("title")) or "",
        description=_optional_text(block.get("description")) or "",
    )


def _members(value: Value) -> tuple[Principal, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(Principal.parse(m if isinstance(m, (str, Unresolved)) else str(m)) for m in value)
    if isinstance(value, (str, Unresolved)):
        return (Principal.parse(value),)
    return ()


def _binding(
    resource: ResourceInstance,
    scope: Scope,
    role: Value,
    members: Value,
    authority: Authority,
    condition: Condition | None,
    directory: Directory,
) -> Binding:
    """Members that are declared service accounts, and a service-account scope, are named by their declaring
    address (their symbolic identity), whether or not their emails resolve."""
    role = _text(role, "role", resource)
    return Binding(
        scope=scope,
        role=role,
        members=tuple(_member_identity(m, directory) for m in _members(members)),
        identity=directory.identity_of(scope.name) if scope.kind is ScopeKind.SERVICE_ACCOUNT else None,
        authority=authority,
        address=resource.address,
        location=resource.location,
        condition=condition,
        unresolved=tuple(_unresolved_texts(scope, role, members, condition)),
    )


def _iam_bindings(
    resource: ResourceInstance, target: str, authority: Authority, collected: _Collected
) -> list[Binding]:
    scope = _scope(resource, target)
    if authority is Authority.POLICY:
        return _policy_bindings(resource, scope, collected)
    members = resource.get("members") if authority is Authority.BINDING else resource.get("member")
    if members is None:
        members = Unresolved(f"{resource.address}.{'members' if authority is Authority.BINDING else 'member'}")
    condition = _condition(resource.block("condition"), resource)
    return [_binding(resource, scope, resource.get("role"), members, authority, condition, collected.directory)]


def _policy_bindings(resource: ResourceInstance, scope: Scope, collected: _Collected) -> list[Binding]:
    """The bindings of an authoritative `_iam_policy` resource, read from its `policy_data` JSON."""
    policy_data = resource.get("policy_data")
    if isinstance(policy_data, Unresolved) or policy_data is None:
        unknown = policy_data or Unresolved(f"{resource.address}.policy_data")
        # The whole policy is unknown: one binding stands for it, so the grant is reported, never dropped.
        return [_binding(resource, scope, unknown, [unknown], Authority.POLICY, None, collected.directory)]
    try:
        policy = json.loads(policy_data) if isinstance(policy_data, str) else policy_data
        entries = policy.get("bindings") or []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError("bindings is not a list of objects")
    except (ValueError, AttributeError, TypeError, RecursionError) as error:
        collected.errors.append(
            InputError(
                resource.location.path,
                f"{resource.address}: policy_data is not an IAM policy: {error}",
                resource.location.line,
            )
        )
        unknown = Unresolved(f"{resource.address}.policy_data (unreadable)")
        return [_binding(resource, scope, unknown, [unknown], Authority.POLICY, None, collected.directory)]
    if not entries:
        collected.empty_policies.append(_binding(resource, scope, "", [], Authority.POLICY, None, collected.directory))
    bindings = []
    for entry in entries:
        condition = entry.get("condition")
        members = entry.get("members")
        bindings.append(
            _binding(
                resource,
                scope,
                entry.get("role"),
                members if isinstance(members, list) else [],
                Authority.POLICY,
                _condition(condition if isinstance(condition, dict) else None, resource),
                collected.directory,
            )
        )
    return bindings


# --- service accounts, keys, custom roles -------------------------------------------------------------------------


def _service_account(resource: ResourceInstance) -> ServiceAccount:
    project = _project(resource)
    account_id = _text(resource.get("account_id"), "account_id", resource)
    email = resource.get("email")
    if not isinstance(email, str) or not email:
        # Computed by the provider from account_id and project; unknown only when one of them is.
        if isinstance(account_id, str) and isinstance(project, str):
            email = f"{account_id}@{project}.iam.gserviceaccount.com"
        else:
            email = email if isinstance(email, Unresolved) else Unresolved(f"{resource.address}.email")
    disabled = _flag(resource.get("disabled"))
    if isinstance(email, Unresolved) and email.declared_by is None:
        email = replace(email, declared_by=resource.address)
    return ServiceAccount(
        email=email,
        project=project,
        address=resource.address,
        location=resource.location,
        account_id=account_id,
        display_name=_optional_text(resource.get("display_name")) or "",
        disabled=disabled is True,
        identity=resource.address,
    )


def _custom_role(resource: ResourceInstance) -> CustomRole:
    role_id = _text(resource.get("role_id"), "role_id", resource)
    if resource.type == "google_organization_iam_custom_role":
        org = _text(resource.get("org_id"), "org_id", resource)
        parent: str | Unresolved = (
            org if isinstance(org, Unresolved) else f"organizations/{org.removeprefix('organizations/')}"
        )
    else:
        project = _project(resource)
        parent = project if isinstance(project, Unresolved) else f"projects/{project}"
    name = resource.get("name")
    if not isinstance(name, str) or not name:
        if isinstance(parent, str) and isinstance(role_id, str):
            name = f"{parent}/roles/{role_id}"
        else:
            name = Unresolved(f"{resource.address}.name")
    permissions = resource.get("permissions")
    listed = permissions if isinstance(permissions, list) else [permissions]
    return CustomRole(
        role=name,
        role_id=role_id,
        permissions=frozenset(p for p in listed if isinstance(p, str)),
        address=resource.address,
        location=resource.location,
        unresolved=tuple(_unresolved_texts(name, role_id, permissions)),
    )


# --- notebook instances -------------------------------------------------------------------------------------------


def _accelerators(blocks: list[dict[str, Value]], resource: ResourceInstance) -> tuple[Accelerator, ...]:
    accelerators = []
    for block in blocks:
        count = block.get("core_count")
        if not isinstance(count, (int, Unresolved)) or isinstance(count, bool):
            count = int(count) if isinstance(count, str) and count.isdigit() else Unresolved(str(count))
        accelerators.append(Accelerator(_text(block.get("type"), "accelerator.type", resource), count))
    return tuple(accelerators)


def _image(vm: Mapping[str, Value] | None, container: Mapping[str, Value] | None, family: str, name: str) -> Value:
    """`project/family:F`, `project/image:I` or `container:REPO:TAG` (the model's one image string)."""
    if container and container.get("repository"):
        repository, tag = container.get("repository"), container.get("tag")
        parts = [repository, tag] if tag else [repository]
        if any(isinstance(p, Unresolved) for p in parts):
            return Unresolved("container:" + ":".join(str(p) for p in parts))
        return "container:" + ":".join(str(p) for p in parts)
    if vm:
        project = vm.get("project")
        kind, value = ("family", vm.get(family)) if vm.get(family) else ("image", vm.get(name))
        if value is None:
            return None
        if isinstance(project, Unresolved) or isinstance(value, Unresolved):
            return Unresolved(f"{project}/{kind}:{value}")
        return f"{project}/{kind}:{value}"
    return None


def _shielded(block: Mapping[str, Value] | None) -> ShieldedVm:
    if not block:
        return ShieldedVm()
    return ShieldedVm(
        secure_boot=_flag(block.get("enable_secure_boot")),
        vtpm=_flag(block.get("enable_vtpm")),
        integrity_monitoring=_flag(block.get("enable_integrity_monitoring")),
    )


def _public_ip(disabled: Value) -> bool | Unresolved:
    """Both generations default to a public IP; only an explicit `true` switch turns it off."""
    flag = _flag(disabled)
    if isinstance(flag, Unresolved):
        return flag
    return flag is not True


def _service_account_or_default(value: Value, what: str, resource: ResourceInstance) -> str | Unresolved:
    if value is None or value == "":
        return DEFAULT_SERVICE_ACCOUNT
    return _text(value, what, resource)


def _notebook(
    resource: ResourceInstance,
    generation: Generation,
    vm: ResourceInstance,
    *,
    accelerators: str,
    image_keys: tuple[str, str],
    service_account: str | Unresolved,
    public_ip: bool | Unresolved,
    metadata_path: str,
    directory: Directory,
) -> NotebookInstance:
    """An instance of either generation; `vm` holds its VM settings: the resource (v1) or its `gce_setup` (v2)."""
    return NotebookInstance(
        name=_text(resource.get("name"), "name", resource),
        project=_project(resource),
        zone=_text(resource.get("location") or resource.provider_zone, "location", resource),
        generation=generation,
        address=resource.address,
        location=resource.location,
        machine_type=_optional_text(vm.get("machine_type")),
        accelerators=_accelerators(vm.blocks(accelerators), resource),
        image=_image(vm.block("vm_image"), vm.block("container_image"), *image_keys),
        service_account=service_account,
        identity=directory.identity_of(service_account),
        public_ip=public_ip,
        shielded_vm=_shielded(vm.block("shielded_instance_config")),
        metadata=_string_map(vm.get("metadata"), metadata_path, resource),
        labels=_string_map(resource.get("labels"), "labels", resource),
    )


def _notebook_v1(resource: ResourceInstance, directory: Directory) -> NotebookInstance:
    return _notebook(
        resource,
        Generation.V1,
        resource,
        accelerators="accelerator_config",
        image_keys=("image_family", "image_name"),
        service_account=_service_account_or_default(resource.get("service_account"), "service_account", resource),
        public_ip=_public_ip(resource.get("no_public_ip")),
        metadata_path="metadata",
        directory=directory,
    )


def _workbench_v2(resource: ResourceInstance, directory: Directory) -> NotebookInstance:
    gce_setup = resource.get("gce_setup")
    setup = resource.block("gce_setup") or {}
    setup_resource = ResourceInstance(
        resource.mode, resource.type, resource.name, resource.address, setup, resource.location
    )
    if isinstance(gce_setup, Unresolved):
        service_account: str | Unresolved = gce_setup
    else:
        accounts = setup_resource.get("service_accounts")
        first = setup_resource.block("service_accounts")
        if isinstance(accounts, Unresolved):
            service_account = accounts
        else:
            email = first.get("email") if first else None
            service_account = _service_account_or_default(email, "gce_setup.service_accounts.email", resource)
    return _notebook(
        resource,
        Generation.V2,
        setup_resource,
        accelerators="accelerator_configs",
        image_keys=("family", "name"),
        service_account=service_account,
        public_ip=_public_ip(gce_setup if isinstance(gce_setup, Unresolved) else setup.get("disable_public_ip")),
        metadata_path="gce_setup.metadata",
        directory=directory,
    )


# --- compute instances, group memberships, deny policies (the access graph's extra inputs) -------------------------

_COMPUTE_NAME = re.compile(
    r"^(?:projects/(?P<project>[^/]+)/)?(?:zones/(?P<zone>[^/]+)/)?(?:instances/)?(?P<name>[^/]+)$"
)


def _zone(resource: ResourceInstance) -> str | Unresolved:
    zone = resource.get("zone") or resource.provider_zone
    if zone is None or zone == "":
        return Unresolved(f"{resource.address}.zone (no zone set and no provider zone)")
    return _text(zone, "zone", resource)


def _compute_scope_name(resource: ResourceInstance) -> str | Unresolved:
    """`projects/P/zones/Z/instances/N` of a `google_compute_instance_iam_*` resource."""
    name = _text(resource.get("instance_name"), "instance_name", resource)
    project: str | Unresolved = _project(resource)
    zone: str | Unresolved = _zone(resource)
    if isinstance(name, str):
        match = _COMPUTE_NAME.match(name)
        if match:
            project = match["project"] or project
            zone = match["zone"] or zone
            name = match["name"]
    if any(isinstance(part, Unresolved) for part in (project, zone, name)):
        return Unresolved(f"projects/{project}/zones/{zone}/instances/{name}")
    return f"projects/{project}/zones/{zone}/instances/{name}"


def _compute_instance(resource: ResourceInstance) -> ComputeInstance:
    account = resource.block("service_account")
    email = account.get("email") if account else None
    service_account: str | Unresolved | None
    if account is None:
        service_account = None
    elif email is None or email == "":
        service_account = DEFAULT_SERVICE_ACCOUNT
    else:
        service_account = _text(email, "service_account.email", resource)
    metadata = _string_map(resource.get("metadata"), "metadata", resource)
    startup = resource.get("metadata_startup_script")
    if startup:
        metadata["startup-script"] = _text(startup, "metadata_startup_script", resource)
    return ComputeInstance(
        name=_text(resource.get("name"), "name", resource),
        project=_project(resource),
        zone=_zone(resource),
        address=resource.address,
        location=resource.location,
        service_account=service_account,
        metadata=metadata,
    )


def _group_emails(resources: Iterable[ResourceInstance]) -> dict[str, str | Unresolved]:
    """Declared `google_cloud_identity_group` address -> its email (`group_key.id`)."""
    emails: dict[str, str | Unresolved] = {}
    for resource in resources:
        key = resource.block("group_key")
        emails[resource.address] = _text(key.get("id") if key else None, "group_key.id", resource)
    return emails


def _group_of(value: Value, groups: Mapping[str, str | Unresolved], resource: ResourceInstance) -> str | Unresolved:
    """A membership's `group` (`groups/ID`, usually `google_cloud_identity_group.g.id`) as the group's email."""
    group = _text(value, "group", resource)
    if isinstance(group, Unresolved):
        declaring = group.origin.rpartition(".")[0]
        if declaring in groups:
            return groups[declaring]
    return group


def _member_of_group(email: Value, resource: ResourceInstance, groups: Mapping[str, str | Unresolved]) -> Principal:
    """`preferred_member_key.id` is a bare email: a declared group's email is a group, `*.gserviceaccount.com` a
    service account, anything else a user."""
    if isinstance(email, Unresolved):
        return Principal.parse(email)
    text = str(email)
    if text in {g for g in groups.values() if isinstance(g, str)}:
        return Principal.parse(f"group:{text}")
    if text.endswith(".gserviceaccount.com"):
        return Principal.parse(f"serviceAccount:{text}")
    return Principal.parse(f"user:{text}")


def _group_memberships(resource: ResourceInstance, groups: Mapping[str, str | Unresolved]) -> list[GroupMembership]:
    key = resource.block("preferred_member_key") or resource.block("member_key") or {}
    email = key.get("id")
    if email is None:
        email = Unresolved(f"{resource.address}.preferred_member_key.id")
    roles = tuple(str(r.get("name")) for r in resource.blocks("roles") if isinstance(r.get("name"), str))
    return [
        GroupMembership(
            group=_group_of(resource.get("group"), groups, resource),
            member=_member_of_group(email, resource, groups),
            address=resource.address,
            location=resource.location,
            roles=roles or ("MEMBER",),
        )
    ]


_DENY_PARENT = re.compile(
    r"^cloudresourcemanager\.googleapis\.com/(?P<kind>projects|folders|organizations)/(?P<id>.+)$"
)
_V2_PRINCIPALS = (
    (re.compile(r"^principal://goog/subject/(?P<email>.+)$"), "user:{email}"),
    (re.compile(r"^principalSet://goog/group/(?P<email>.+)$"), "group:{email}"),
    (
        re.compile(r"^principal://iam\.googleapis\.com/projects/-/serviceAccounts/(?P<email>.+)$"),
        "serviceAccount:{email}",
    ),
    (re.compile(r"^principalSet://goog/public:all$"), "allUsers"),
)


def deny_member(principal: str) -> str:
    """A deny policy's v2 principal identifier as the IAM v1 member it names, where it names one."""
    for pattern, member in _V2_PRINCIPALS:
        match = pattern.match(principal)
        if match:
            return member.format(**match.groupdict())
    return principal


def deny_permission(permission: str) -> str:
    """`iam.googleapis.com/serviceAccounts.getAccessToken` -> `iam.serviceAccounts.getAccessToken`."""
    service, sep, rest = permission.partition(".googleapis.com/")
    return f"{service}.{rest}" if sep else permission


def _strings(value: Value) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if isinstance(v, str))
    return (value,) if isinstance(value, str) else ()


def _deny_policy(resource: ResourceInstance) -> DenyPolicy:
    parent = _text(resource.get("parent"), "parent", resource)
    scope: Scope
    if isinstance(parent, str):
        match = _DENY_PARENT.match(urllib.parse.unquote(parent))
        if match and match["kind"] == "projects":
            scope = Scope(ScopeKind.PROJECT, match["id"])
        elif match:
            kind = ScopeKind.FOLDER if match["kind"] == "folders" else ScopeKind.ORGANIZATION
            scope = Scope(kind, f"{match['kind']}/{match['id']}")
        else:
            scope = Scope(ScopeKind.PROJECT, Unresolved(f"{resource.address}.parent ({parent})"))
    else:
        scope = Scope(ScopeKind.PROJECT, parent)
    rules = []
    unknown: list[Value] = [parent]
    for rule in resource.blocks("rules"):
        deny = (rule.get("deny_rule") or [{}])[0] if isinstance(rule.get("deny_rule"), list) else rule.get("deny_rule")
        if not isinstance(deny, dict):
            continue
        for name in ("denied_principals", "denied_permissions", "exception_principals", "exception_permissions"):
            unknown.append(deny.get(name))
        condition_block = deny.get("denial_condition")
        if isinstance(condition_block, list):
            condition_block = condition_block[0] if condition_block else None
        rules.append(
            DenyRule(
                denied_principals=tuple(deny_member(p) for p in _strings(deny.get("denied_principals"))),
                denied_permissions=tuple(deny_permission(p) for p in _strings(deny.get("denied_permissions"))),
                exception_principals=tuple(deny_member(p) for p in _strings(deny.get("exception_principals"))),
                exception_permissions=tuple(deny_permission(p) for p in _strings(deny.get("exception_permissions"))),
                condition=_condition(condition_block if isinstance(condition_block, dict) else None, resource),
            )
        )
    return DenyPolicy(
        scope=scope,
        name=_text(resource.get("name"), "name", resource),
        rules=tuple(rules),
        address=resource.address,
        location=resource.location,
        unresolved=tuple(_unresolved_texts(*unknown)),
    )
