"""Model objects -> plain CEL activations: the variables a policy condition can read.

Each subject kind exposes a fixed set of documented variables (`VARIABLES`, rendered into
docs/policy-variables.md), including precomputed facts such as the permissions a role grants, so that conditions
stay one line. An `Unresolved` value never turns into a safe-looking one: every field that can be unknown has a
`*_unresolved` boolean beside it, and its text form is the `${expression}` that could not be resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from auditor.identities import PrincipalClass, classify, classify_account, unknown_account_text
from auditor.model import (
    DEFAULT_SERVICE_ACCOUNT,
    Binding,
    Conflict,
    CustomRole,
    Intent,
    NotebookInstance,
    Principal,
    ScopeKind,
    ServiceAccount,
    ServiceAccountKey,
    Unresolved,
)
from auditor.policy.schema import SubjectKind
from auditor.roles.catalog import RoleFacts

if TYPE_CHECKING:
    from auditor.workflows.model import Workflow

FACT_NAMES = tuple(f.name for f in fields(RoleFacts) if f.type in ("bool", bool))
"""The boolean facts of `auditor.roles.catalog.RoleFacts`, exposed as `role.<name>`: derived, so a fact added
to the catalog reaches the policies without a second list to keep in step."""

# Facts any of which makes a role worth a finding somewhere in the built-in set: an unresolved member holding
# such a role, or a human holding an unresolved role, could fail another policy.
_SENSITIVE_FACTS = (
    "notebook_admin",
    "notebook_create",
    "notebook_delete",
    "notebook_reconfigure",
    "notebook_set_iam",
    "act_as",
    "impersonate",
    "service_account_set_iam",
    "service_account_key_create",
    "project_set_iam",
    "vm_control",
    "project_metadata",
    "role_write",
    "basic_role",
    "admin_role",
)
BASIC_WRITE_ROLES = ("roles/owner", "roles/editor")


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """What the role catalog knows about one role: its permissions and the catalog's facts."""

    permissions: frozenset[str]
    facts: Mapping[str, bool]
    """`FACT_NAMES` -> bool; a missing name reads as False."""


RoleLookup = Callable[[str], RoleGrant | None]
"""Role name -> what it grants, or None when the catalog does not know the role."""


def custom_role_permissions(custom_roles: Sequence[CustomRole]) -> dict[str, frozenset[str]]:
    """Declared custom roles as the catalog takes them: full role name -> permissions. A role whose name is
    unresolved (a module's `projects/${var.project_id}/roles/x`) is known by its declaring address instead: a
    grant of `google_project_iam_custom_role.x.id` has its permissions whatever the project resolves to."""
    by_name = {role.role: role.permissions for role in custom_roles if isinstance(role.role, str)}
    by_address = {role.address: role.permissions for role in custom_roles if isinstance(role.role, Unresolved)}
    return {**by_address, **by_name}


def role_key(role: str | Unresolved) -> str | None:
    """The name a role is looked up by: its name, or the declaring address of a custom role whose name is
    unresolved; None when nothing identifies it."""
    if isinstance(role, str):
        return role
    return role.declared_by


def catalog_lookup(custom_roles: Sequence[CustomRole] | Mapping[str, frozenset[str]] = ()) -> RoleLookup:
    """A `RoleLookup` backed by `auditor.roles.catalog` (predefined roles plus the declared custom roles)."""
    from auditor.roles.catalog import facts_for, permissions_for

    declared = dict(custom_roles) if isinstance(custom_roles, Mapping) else custom_role_permissions(custom_roles)
    cache: dict[str, RoleGrant | None] = {}

    def lookup(role: str) -> RoleGrant | None:
        if role not in cache:
            permissions = permissions_for(role, declared)
            facts = facts_for(role, declared)
            if permissions is None and facts is None:
                cache[role] = None
            else:
                cache[role] = RoleGrant(
                    permissions=frozenset(permissions or ()),
                    facts={name: bool(getattr(facts, name)) for name in FACT_NAMES},
                )
        return cache[role]

    return lookup


# --- the documented variables -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    """Dotted CEL path, e.g. `principal.human`."""
    type: str
    """CEL type: bool, string, int, list(string), map(string, string)."""
    doc: str


def _v(name: str, type_: str, doc: str) -> Variable:
    return Variable(name, type_, doc)


_PRINCIPAL = (
    _v("principal.member", "string", "The IAM member as written (`user:ana@example.com`), or `${expr}` if unresolved."),
    _v(
        "principal.kind",
        "string",
        "`user`, `group`, `serviceAccount`, `domain`, `allUsers`, `allAuthenticatedUsers`, `principal`, "
        "`principalSet`, `deleted`, `projectRole`, `unresolved` or `other`.",
    ),
    _v("principal.email", "string", "The email for users, groups and service accounts; empty otherwise."),
    _v("principal.human", "bool", "A person or group of people, including the public (user, group, domain, all*)."),
    _v("principal.public", "bool", "`allUsers` or `allAuthenticatedUsers`."),
    _v("principal.service_agent", "bool", "A Google-managed service agent (`service-N@gcp-sa-*...`)."),
    _v(
        "principal.unresolved",
        "bool",
        "Nothing tells what the member is (an unset variable, an unknown outside value). A member whose kind is "
        "known from its shape (`user:{var.who}`) or that is a declared service account is not unresolved.",
    ),
    _v(
        "principal.classification",
        "string",
        "`human`, `public`, `user_managed_service_account`, `default_compute_service_account`, `service_agent`, "
        "`unknown` or `other` (auditor/identities.py).",
    ),
    _v(
        "principal.identity",
        "string",
        "The declaring address of the `google_service_account` the member is (`google_service_account.runtime`), "
        "whether or not its email resolves; empty otherwise.",
    ),
    _v(
        "principal.user_managed_service_account",
        "bool",
        "A service account a team created: declared by a `google_service_account`, or "
        "`name@PROJECT.iam.gserviceaccount.com` that is not a service agent.",
    ),
    _v(
        "principal.default_compute_service_account",
        "bool",
        "`PROJECT_NUMBER-compute@developer.gserviceaccount.com` (or `data.google_compute_default_service_account`), "
        "which carries roles/editor by default.",
    ),
)

_BINDING = (
    _v("binding.address", "string", "Terraform address (or live resource name) of the binding."),
    _v("binding.role", "string", "The role as written; `${expr}` if unresolved."),
    _v("binding.role_unresolved", "bool", "The role could not be resolved statically."),
    _v(
        "binding.scope_kind",
        "string",
        "`project`, `folder`, `organization`, `service_account`, `notebook_instance` or `workbench_instance`.",
    ),
    _v("binding.scope", "string", "The resource the policy is attached to (project id, SA email, instance name)."),
    _v("binding.scope_unresolved", "bool", "The scope's name could not be resolved statically."),
    _v(
        "binding.identity",
        "string",
        "For a binding on a service account declared in Terraform: its declaring address; empty otherwise.",
    ),
    _v("binding.authority", "string", "`policy`, `binding`, `member`, `remove` or `live` (see GCP-NOTES.md)."),
    _v("binding.conditional", "bool", "The binding carries an IAM condition."),
    _v("binding.condition", "string", "The IAM condition's CEL expression; empty when unconditional."),
    _v("binding.members", "list(string)", "Every member of the binding, as in `principal.member`."),
    _v("binding.members_unresolved", "bool", "At least one member could not be resolved statically."),
    _v("binding.has_human_member", "bool", "At least one member is human (see `principal.human`)."),
    _v("binding.has_public_member", "bool", "At least one member is `allUsers` or `allAuthenticatedUsers`."),
    _v(
        "binding.has_user_managed_service_account",
        "bool",
        "At least one member is a user-managed service account (see `principal.user_managed_service_account`).",
    ),
    _v("binding.unresolved", "bool", "Any part (role, members, scope, condition) could not be resolved."),
    _v("binding.unresolved_expressions", "list(string)", "The expression texts that could not be resolved."),
)

_ROLE = (
    _v("role.name", "string", "Same as `binding.role`."),
    _v("role.known", "bool", "The role catalog knows the role (predefined, or a custom role declared in the inputs)."),
    _v(
        "role.unresolved",
        "bool",
        "The role could not be identified statically (a custom role declared in the inputs is identified by its "
        "address even when its name is unresolved).",
    ),
    _v(
        "role.permissions",
        "list(string)",
        "The permissions the catalog tracks: for a predefined role the security-relevant families (notebooks, "
        "service accounts, IAM, compute instances); for a declared custom role all of them. Empty when unknown.",
    ),
    _v("role.notebook_admin", "bool", "Catalog fact: the role administers notebook instances."),
    _v("role.notebook_create", "bool", "Catalog fact: can create notebook instances."),
    _v("role.notebook_delete", "bool", "Catalog fact: can delete notebook instances."),
    _v("role.notebook_reconfigure", "bool", "Catalog fact: can change an instance (machine type, config, ...)."),
    _v("role.notebook_set_iam", "bool", "Catalog fact: can set an instance's IAM policy."),
    _v("role.notebook_start_stop", "bool", "Catalog fact: can start and stop instances."),
    _v("role.notebook_use", "bool", "Catalog fact: can open instances (`notebooks.instances.use`)."),
    _v("role.act_as", "bool", "Catalog fact: grants `iam.serviceAccounts.actAs`."),
    _v(
        "role.impersonate",
        "bool",
        "Catalog fact: getAccessToken, signBlob, signJwt, implicitDelegation or getOpenIdToken.",
    ),
    _v("role.service_account_set_iam", "bool", "Catalog fact: `iam.serviceAccounts.setIamPolicy`."),
    _v("role.service_account_key_create", "bool", "Catalog fact: `iam.serviceAccountKeys.create`."),
    _v("role.project_set_iam", "bool", "Catalog fact: setIamPolicy on a project, folder or organization."),
    _v("role.vm_control", "bool", "Catalog fact: `compute.instances.setMetadata/setServiceAccount/setMachineType`."),
    _v(
        "role.project_metadata",
        "bool",
        "Catalog fact: `compute.projects.setCommonInstanceMetadata` (project-wide startup-script, ssh-keys).",
    ),
    _v("role.role_write", "bool", "Catalog fact: `iam.roles.create` or `iam.roles.update`."),
    _v("role.basic_role", "bool", "Catalog fact: `roles/owner` or `roles/editor`."),
    _v(
        "role.admin_role",
        "bool",
        "Catalog fact: owner, editor, or a role whose id ends in `admin`/`Admin` (CIS GCP 1.5).",
    ),
    _v(
        "role.sensitive",
        "bool",
        "Any fact a built-in policy checks or that escalates privilege (notebook create/delete/reconfigure/set IAM, "
        "actAs, impersonation, service-account IAM or keys, IAM admin, VM control, project metadata, role writes, "
        "basic or admin role): what makes an unresolved member worth reporting.",
    ),
)

_INSTANCE = (
    _v("instance.address", "string", "Terraform address (or live resource name)."),
    _v("instance.name", "string", "Short instance name; `${expr}` if unresolved."),
    _v("instance.project", "string", "Project id; `${expr}` if unresolved."),
    _v("instance.zone", "string", "Zone; `${expr}` if unresolved."),
    _v("instance.generation", "string", "`v1` (google_notebooks_instance) or `v2` (google_workbench_instance)."),
    _v(
        "instance.service_account",
        "string",
        "Email of the service account it runs as, `default` when none is set, `${expr}` if unresolved.",
    ),
    _v(
        "instance.service_account_text",
        "string",
        "The service account in words, for messages: the email, `the Compute Engine default service account (none "
        "set)`, or `${expr} (unresolved)`.",
    ),
    _v(
        "instance.service_account_unresolved",
        "bool",
        "The service account's email could not be resolved statically (it may still be a known identity).",
    ),
    _v(
        "instance.service_account_unknown",
        "bool",
        "Nothing tells which account it is: an unset variable or an unknown outside value (not a declared "
        "`google_service_account`, whose email may be unresolved but whose identity is known).",
    ),
    _v(
        "instance.service_account_class",
        "string",
        "The account's classification, as `principal.classification`; no account set is "
        "`default_compute_service_account`.",
    ),
    _v(
        "instance.service_account_identity",
        "string",
        "The declaring address of the `google_service_account` it runs as; empty when not a declared account.",
    ),
    _v(
        "instance.uses_default_service_account",
        "bool",
        "No service account set, any `NNN-compute@developer.gserviceaccount.com`, or the "
        "`google_compute_default_service_account` data source.",
    ),
    _v("instance.machine_type", "string", "Machine type; empty when not set, `${expr}` if unresolved."),
    _v("instance.machine_type_unresolved", "bool", "The machine type could not be resolved statically."),
    _v("instance.image", "string", "`project/family:F`, `project/image:I`, `container:REPO:TAG`, or empty."),
    _v("instance.accelerators", "list(string)", "`TYPE x COUNT` per accelerator."),
    _v("instance.public_ip", "bool", "Known to get an external IP (the default unless turned off)."),
    _v("instance.public_ip_unresolved", "bool", "The public-IP setting could not be resolved statically."),
    _v("instance.public_ip_text", "string", "`true`, `false`, or `${expr} (unresolved)`, for messages."),
    _v(
        "instance.root_access",
        "bool",
        "Known to allow root: metadata `notebook-disable-root` is not the string `true`.",
    ),
    _v("instance.root_access_unresolved", "bool", "`notebook-disable-root` is set to an unresolved value."),
    _v(
        "instance.disable_root_text",
        "string",
        "The `notebook-disable-root` metadata value, `not set`, or `${expr} (unresolved)`, for messages.",
    ),
    _v("instance.secure_boot", "bool", "Shielded VM secure boot, with the API default (off) when not set."),
    _v("instance.vtpm", "bool", "Shielded VM vTPM, with the API default (on) when not set."),
    _v("instance.integrity_monitoring", "bool", "Shielded VM integrity monitoring, with the API default (on)."),
    _v(
        "instance.shielded_disabled",
        "list(string)",
        "The shielded-VM features known to be off: `secure boot`, `vTPM`, `integrity monitoring`.",
    ),
    _v("instance.shielded_unresolved", "list(string)", "The shielded-VM features whose setting is unresolved."),
    _v("instance.metadata", "map(string, string)", "Metadata as declared; unresolved values read `${expr}`."),
    _v("instance.labels", "map(string, string)", "Labels as declared; unresolved values read `${expr}`."),
    _v("instance.unresolved_expressions", "list(string)", "Every expression in the instance that was unresolved."),
)

_SERVICE_ACCOUNT = (
    _v("service_account.address", "string", "Terraform address (or live resource name)."),
    _v("service_account.email", "string", "Email; `${expr}` if unresolved."),
    _v("service_account.email_unresolved", "bool", "The email could not be resolved statically."),
    _v("service_account.project", "string", "Project id; `${expr}` if unresolved."),
    _v("service_account.account_id", "string", "The account id (part before the @)."),
    _v("service_account.display_name", "string", "Display name."),
    _v("service_account.disabled", "bool", "The account is disabled."),
    _v("service_account.default_compute", "bool", "The Compute Engine default service account."),
    _v("service_account.identity", "string", "Its declaring address (its symbolic identity)."),
)

_KEY = (
    _v("key.address", "string", "Terraform address of the `google_service_account_key`."),
    _v("key.service_account", "string", "The account the key belongs to; `${expr}` if unresolved."),
    _v("key.service_account_unresolved", "bool", "The account could not be resolved statically."),
)

_CONFLICT = (
    _v(
        "conflict.kind",
        "string",
        "`policy_with_binding_or_member`, `binding_with_member`, `duplicate_binding` or `duplicate_policy`.",
    ),
    _v("conflict.scope_kind", "string", "As `binding.scope_kind`."),
    _v("conflict.scope", "string", "The resource whose IAM is fought over."),
    _v("conflict.role", "string", "The role fought over; empty for whole-policy conflicts."),
    _v("conflict.address", "string", "The first Terraform address involved (where the finding is reported)."),
    _v("conflict.addresses", "list(string)", "Every Terraform address involved."),
    _v("conflict.description", "string", "What overwrites what, as the model describes it."),
)

_ESCALATION = (
    _v(
        "escalation.principal",
        "string",
        "The principal that gains (`user:alice@x`, an email, a workflow's triggerers).",
    ),
    _v("escalation.human", "bool", "A person, group, domain, the public or a workflow's triggerers."),
    _v("escalation.administrator", "bool", "Listed in the config's `administrators`: an intended admin."),
    _v("escalation.technique", "string", "The technique of the first edge (`sa-token`, `vm-metadata`, ...)."),
    _v("escalation.target", "string", "The identity the path ends at."),
    _v("escalation.steps", "int", "Number of edges in the path."),
    _v("escalation.conditional", "bool", "Some edge of the path holds only under an IAM condition."),
    _v("escalation.permissions", "list(string)", "Admin-level permissions gained, sorted."),
    _v("escalation.permissions_count", "int", "How many admin-level permissions are gained."),
    _v("escalation.sentence", "string", "The path in one sentence, for the message."),
)

_WORKFLOW = (
    _v("workflow.path", "string", "The workflow file, relative to the scanned directory (the finding's resource)."),
    _v("workflow.name", "string", "The workflow's `name:`, or its file name."),
    _v("workflow.line", "int", "First line of the workflow document."),
    _v("workflow.fragment", "bool", "A bare list of steps (a README snippet) rather than a whole workflow."),
    _v("workflow.triggers", "list(string)", "The `on:` events; for a fragment, the events its expressions imply."),
    _v("workflow.triggered_by", "string", "Who can trigger it, in words (derived from the triggers)."),
    _v(
        "workflow.controls_notebooks",
        "bool",
        "A step controls notebook instances (`gcloud notebooks|workbench instances ...`, the notebooks REST API).",
    ),
    _v(
        "workflow.notebook_controls",
        "list(map)",
        "One map per such command: `line`, `job`, `step`, `tool` (`gcloud`/`rest`), `generation`, `verb`, "
        "`verb_source` (`literal`, `configuration`, `trigger`, `unknown`), `instance`, `instance_source`, "
        "`allowed_verbs`, `verb_allowlisted`, `allowed_instances`, `instance_allowlisted`, `unrestricted`, "
        "`reasons`.",
    ),
    _v("workflow.notebook_controls_count", "int", "Number of notebook-controlling commands."),
    _v(
        "workflow.injections",
        "list(map)",
        "One map per attacker-controlled expression expanded into a script: `expression`, `text`, `line`, `job`, "
        "`step`, `sink` (`run` or `with.script`), `via_env` (the env variable it came through, or empty).",
    ),
    _v("workflow.injections_count", "int", "Number of such expansions."),
    _v(
        "workflow.injection_expressions",
        "list(string)",
        "The distinct attacker-controlled context paths expanded (`github.event.client_payload.command`, ...).",
    ),
    _v("workflow.injection_line", "int", "Line of the first injection; 0 when none."),
    _v(
        "workflow.unrestricted_operations_count",
        "int",
        "Notebook commands whose verb or instance comes from the trigger (or an untraceable value) without an "
        "allowlist of start/stop and of the declared instances, or that run another verb outright.",
    ),
    _v("workflow.unrestricted_reasons", "list(string)", "Why each of those is unrestricted, one sentence each."),
    _v("workflow.unrestricted_line", "int", "Line of the first unrestricted command; 0 when none."),
    _v("workflow.authenticates_to_gcp", "bool", "A `google-github-actions/auth` step or a key-file gcloud login."),
    _v("workflow.holds_cloud_identity", "bool", "Authenticates to Google Cloud or controls notebooks."),
    _v(
        "workflow.identity_kind",
        "string",
        "`workload_identity`, `key`, `other`, `mixed` (several kinds) or `none`.",
    ),
    _v("workflow.identity_line", "int", "Line of the first authentication relevant to the notebook jobs; 0 if none."),
    _v("workflow.identities", "list(string)", "Each identity in words (account and how it authenticates)."),
    _v("workflow.service_accounts", "list(string)", "Service account emails written literally in the workflow."),
    _v(
        "workflow.service_account",
        "string",
        "Those emails comma-separated, or the unresolved expression/secret naming the account.",
    ),
    _v("workflow.service_account_resolved", "bool", "Every identity names its service account literally."),
    _v(
        "workflow.identity_checked",
        "bool",
        "The identity was checked against the Terraform: accounts literal and every role granted to them known.",
    ),
    _v("workflow.identity_roles", "list(string)", "Known roles the Terraform grants the workflow's accounts."),
    _v(
        "workflow.identity_unresolved_roles",
        "list(string)",
        "Roles granted to them whose permissions are unknown (undeclared custom role, unresolved name).",
    ),
    _v(
        "workflow.identity_bindings",
        "list(map)",
        "The Terraform bindings granting those accounts: `address`, `role`, `scope`, `location`, `member`.",
    ),
    _v(
        "workflow.identity_binding_locations",
        "list(string)",
        "The same bindings as `address (file:line)`, for messages.",
    ),
    _v(
        "workflow.identity_surplus_permissions",
        "list(string)",
        "`notebooks.*` and `compute.instances.*` permissions of those roles beyond start, stop, get, list "
        "(and `notebooks.operations.get`).",
    ),
    _v("workflow.identity_surplus_count", "int", "Number of surplus permissions."),
    _v(
        "workflow.key_credentials_count",
        "int",
        "Authentications with a service-account key (`credentials_json`, "
        "`gcloud auth activate-service-account --key-file`).",
    ),
    _v("workflow.key_secrets", "list(string)", "Where each key comes from (`${{ secrets.NAME }}`, `key file`)."),
    _v("workflow.key_line", "int", "Line of the first key authentication; 0 when none."),
    _v(
        "workflow.unpinned_actions",
        "list(map)",
        "Actions not pinned to a full commit SHA: `uses`, `line`, `job`.",
    ),
    _v("workflow.unpinned_actions_count", "int", "Number of unpinned action uses."),
    _v("workflow.unpinned_uses", "list(string)", "The distinct unpinned `uses:` values."),
    _v("workflow.unpinned_line", "int", "Line of the first unpinned action; 0 when none."),
    _v(
        "workflow.effective_access",
        "string",
        "One sentence: who can trigger the workflow, as which service account, and which notebook permissions that "
        "gives them beyond start and stop.",
    ),
)

VARIABLES: Mapping[SubjectKind, tuple[Variable, ...]] = {
    SubjectKind.MEMBER: _PRINCIPAL + _BINDING + _ROLE,
    SubjectKind.BINDING: _BINDING + _ROLE,
    SubjectKind.INSTANCE: _INSTANCE,
    SubjectKind.SERVICE_ACCOUNT: _SERVICE_ACCOUNT,
    SubjectKind.KEY: _KEY,
    SubjectKind.CONFLICT: _CONFLICT,
    SubjectKind.WORKFLOW: _WORKFLOW,
    SubjectKind.ESCALATION: _ESCALATION,
}


def variable_names(kind: SubjectKind) -> frozenset[str]:
    return frozenset(v.name for v in VARIABLES[kind])


_ZERO = {"bool": False, "string": "", "int": 0}


def sample_activation(kind: SubjectKind) -> dict[str, Any]:
    """An activation with every documented variable at its zero value: the loader's dry run for typos."""
    activation: dict[str, Any] = {}
    for variable in VARIABLES[kind]:
        top, _, rest = variable.name.partition(".")
        value: Any = _ZERO.get(variable.type)
        if value is None:
            value = [] if variable.type.startswith("list") else {}
        activation.setdefault(top, {})[rest] = value
    return activation


# --- building activations -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing a policy is evaluated on: its activation plus what a finding needs to point at it."""

    kind: SubjectKind
    activation: Mapping[str, Any]
    resource: str
    location: Any
    """`auditor.model.Location` of the model object."""
    principal: str | None = None
    role: str | None = None
    path: tuple[Mapping[str, str | None], ...] = ()
    """For an escalation: the steps, each `{from, to, technique, address, location, condition}`."""
    permissions: tuple[str, ...] = ()


def text(value: object) -> str:
    """A model value as CEL sees it: unresolved values read as their shape (`wb@{var.project_id}.iam...`) or
    their origin (`var.project_id`), never as `${...}` internals; None reads empty."""
    if value is None:
        return ""
    if isinstance(value, Unresolved):
        return value.shape if value.shape is not None else value.origin
    return str(value)


def _is_unresolved(value: object) -> bool:
    return isinstance(value, Unresolved)


def principal_variables(principal: Principal) -> dict[str, Any]:
    classification = classify(principal)
    return {
        "member": principal.member,
        "kind": principal.kind.value,
        "email": principal.email or "",
        "human": principal.human,
        "public": principal.public,
        "service_agent": classification is PrincipalClass.SERVICE_AGENT,
        "unresolved": classification is PrincipalClass.UNKNOWN,
        "classification": classification.value,
        "identity": principal.identity or "",
        "user_managed_service_account": classification is PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT,
        "default_compute_service_account": classification is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT,
    }


def binding_variables(binding: Binding) -> dict[str, Any]:
    condition = binding.condition.expression if binding.condition else ""
    classes = [classify(p) for p in binding.members]
    members_unresolved = PrincipalClass.UNKNOWN in classes
    unresolved = list(binding.unresolved)
    for part in (binding.role, binding.scope.name, condition, *(m.member for m in binding.members)):
        if isinstance(part, Unresolved) and part.expression not in unresolved:
            unresolved.append(part.expression)
    return {
        "address": binding.address,
        "role": text(binding.role),
        "role_unresolved": _is_unresolved(binding.role),
        "scope_kind": binding.scope.kind.value,
        "scope": text(binding.scope.name),
        "scope_unresolved": _is_unresolved(binding.scope.name),
        "identity": binding.identity or "",
        "authority": binding.authority.value,
        "conditional": binding.condition is not None,
        "condition": text(condition),
        "members": [p.member for p in binding.members],
        "members_unresolved": members_unresolved,
        "has_human_member": any(p.human for p in binding.members),
        "has_public_member": any(p.public for p in binding.members),
        "has_user_managed_service_account": PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT in classes,
        "unresolved": bool(unresolved) or members_unresolved,
        "unresolved_expressions": unresolved,
    }


def role_variables(role: str | Unresolved, grant: RoleGrant | None, *, with_permissions: bool = True) -> dict[str, Any]:
    """`role.*`; `with_permissions=False` leaves the list empty for conditions that never read it (owner has
    ~13,500 permissions, and converting them for every evaluation would dominate the run time)."""
    facts = grant.facts if grant else {}
    variables: dict[str, Any] = {
        "name": text(role),
        "known": grant is not None,
        "unresolved": _is_unresolved(role) and grant is None,
        "permissions": sorted(grant.permissions) if grant and with_permissions else [],
    }
    for name in FACT_NAMES:
        variables[name] = bool(facts.get(name, False))
    variables["sensitive"] = any(variables[name] for name in _SENSITIVE_FACTS) or text(role) in BASIC_WRITE_ROLES
    return variables


def binding_activation(binding: Binding, grant: RoleGrant | None, *, with_permissions: bool = True) -> dict[str, Any]:
    """The `binding` and `role` variables, shared by the binding subject and all its member subjects."""
    return {
        "binding": binding_variables(binding),
        "role": role_variables(binding.role, grant, with_permissions=with_permissions),
    }


def binding_subject(
    binding: Binding,
    grant: RoleGrant | None,
    *,
    with_permissions: bool = True,
    shared: Mapping[str, Any] | None = None,
) -> Subject:
    """The `binding` subject; `grant` is what the catalog knows about `binding.role` (None: unknown/unresolved).
    `shared` is a precomputed `binding_activation` (then `grant` is not read)."""
    return Subject(
        kind=SubjectKind.BINDING,
        activation=dict(shared or binding_activation(binding, grant, with_permissions=with_permissions)),
        resource=binding.address,
        location=binding.location,
        role=text(binding.role),
    )


def member_subjects(
    binding: Binding,
    grant: RoleGrant | None,
    *,
    with_permissions: bool = True,
    shared: Mapping[str, Any] | None = None,
) -> Iterator[Subject]:
    """One `member` subject per principal of the binding, sharing the binding's and role's variables."""
    common = shared or binding_activation(binding, grant, with_permissions=with_permissions)
    for principal in binding.members:
        yield Subject(
            kind=SubjectKind.MEMBER,
            activation={"principal": principal_variables(principal), **common},
            resource=binding.address,
            location=binding.location,
            principal=principal.member,
            role=text(binding.role),
        )


# API defaults when a shielded-VM field is not declared (google_workbench_instance and google_notebooks_instance
# alike): secure boot off, vTPM on, integrity monitoring on.
_SHIELDED_DEFAULTS = (
    ("secure_boot", "secure boot", False),
    ("vtpm", "vTPM", True),
    ("integrity_monitoring", "integrity monitoring", True),
)


def _string_map(values: Mapping[str, object]) -> dict[str, str]:
    return {str(key): text(value) for key, value in values.items()}


def instance_variables(instance: NotebookInstance) -> dict[str, Any]:
    unresolved: list[str] = []

    def note(value: object) -> object:
        if isinstance(value, Unresolved) and value.expression not in unresolved:
            unresolved.append(value.expression)
        return value

    for value in (instance.name, instance.project, instance.zone, instance.machine_type, instance.image):
        note(value)
    for accelerator in instance.accelerators:
        note(accelerator.type)
        note(accelerator.core_count)
    for value in (*instance.metadata.values(), *instance.labels.values()):
        note(value)

    service_account = note(instance.service_account)
    public_ip = note(instance.public_ip)
    disable_root = note(instance.metadata.get("notebook-disable-root"))

    shielded: dict[str, bool] = {}
    shielded_disabled: list[str] = []
    shielded_unresolved: list[str] = []
    for field_name, label, default in _SHIELDED_DEFAULTS:
        declared = note(getattr(instance.shielded_vm, field_name))
        if isinstance(declared, Unresolved):
            shielded[field_name] = False  # unknown is never reported as "on"
            shielded_unresolved.append(label)
            continue
        effective = default if declared is None else bool(declared)
        shielded[field_name] = effective
        if not effective:
            shielded_disabled.append(label)

    account_class = classify_account(service_account, instance.identity)  # type: ignore[arg-type]
    if service_account in ("", DEFAULT_SERVICE_ACCOUNT):
        service_account_text = "the Compute Engine default service account (none set)"
    elif account_class is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT:
        service_account_text = f"{text(service_account)} (the Compute Engine default service account)"
    elif isinstance(service_account, Unresolved) and account_class is PrincipalClass.UNKNOWN:
        service_account_text = unknown_account_text(service_account)
    elif isinstance(service_account, Unresolved) and instance.identity:
        service_account_text = f"{instance.identity} ({text(service_account)})"
    else:
        service_account_text = text(service_account)
    if isinstance(public_ip, Unresolved):
        public_ip_text = f"{public_ip} (unresolved)"
    else:
        public_ip_text = "true" if public_ip else "false"
    if isinstance(disable_root, Unresolved):
        disable_root_text = f"{disable_root} (unresolved)"
    else:
        disable_root_text = "not set" if disable_root is None else repr(disable_root)

    return {
        "address": instance.address,
        "name": text(instance.name),
        "project": text(instance.project),
        "zone": text(instance.zone),
        "generation": instance.generation,
        "service_account": text(service_account),
        "service_account_text": service_account_text,
        "service_account_unresolved": isinstance(service_account, Unresolved),
        "service_account_unknown": account_class is PrincipalClass.UNKNOWN,
        "service_account_class": account_class.value,
        "service_account_identity": instance.identity or "",
        "uses_default_service_account": account_class is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT,
        "machine_type": text(instance.machine_type),
        "machine_type_unresolved": isinstance(instance.machine_type, Unresolved),
        "image": text(instance.image),
        "accelerators": [f"{text(a.type)} x {text(a.core_count)}" for a in instance.accelerators],
        "public_ip": public_ip is True,
        "public_ip_unresolved": isinstance(public_ip, Unresolved),
        "public_ip_text": public_ip_text,
        "root_access": disable_root is None or (isinstance(disable_root, str) and disable_root.lower() != "true"),
        "root_access_unresolved": isinstance(disable_root, Unresolved),
        "disable_root_text": disable_root_text,
        **shielded,
        "shielded_disabled": shielded_disabled,
        "shielded_unresolved": shielded_unresolved,
        "metadata": _string_map(instance.metadata),
        "labels": _string_map(instance.labels),
        "unresolved_expressions": unresolved,
    }


def instance_subject(instance: NotebookInstance) -> Subject:
    return Subject(
        kind=SubjectKind.INSTANCE,
        activation={"instance": instance_variables(instance)},
        resource=instance.address,
        location=instance.location,
    )


def service_account_subject(account: ServiceAccount) -> Subject:
    email = text(account.email)
    return Subject(
        kind=SubjectKind.SERVICE_ACCOUNT,
        activation={
            "service_account": {
                "address": account.address,
                "email": email,
                "email_unresolved": _is_unresolved(account.email),
                "project": text(account.project),
                "account_id": text(account.account_id),
                "display_name": text(account.display_name),
                "disabled": account.disabled,
                "default_compute": classify_account(account.email) is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT,
                "identity": account.identity or "",
            }
        },
        resource=account.address,
        location=account.location,
    )


def key_subject(key: ServiceAccountKey) -> Subject:
    return Subject(
        kind=SubjectKind.KEY,
        activation={
            "key": {
                "address": key.address,
                "service_account": text(key.service_account),
                "service_account_unresolved": _is_unresolved(key.service_account),
            }
        },
        resource=key.address,
        location=key.location,
    )


def conflict_subject(conflict: Conflict) -> Subject:
    address = conflict.addresses[0] if conflict.addresses else str(conflict.scope)
    return Subject(
        kind=SubjectKind.CONFLICT,
        activation={
            "conflict": {
                "kind": conflict.kind.value,
                "scope_kind": conflict.scope.kind.value,
                "scope": text(conflict.scope.name),
                "role": text(conflict.role),
                "address": address,
                "addresses": list(conflict.addresses),
                "description": conflict.message,
            }
        },
        resource=address,
        location=conflict.locations[0] if conflict.locations else None,
        role=text(conflict.role) or None,
    )


def workflow_subjects(workflows: Iterable[Workflow], intent: Intent, roles: RoleLookup) -> Iterator[Subject]:
    """One `workflow` subject per workflow, its identity judged against the intent's bindings.

    Roles resolve through the same `RoleLookup` as every other subject (the catalog plus the declared custom
    roles), so a workflow's service account and a binding's member can never be judged by two role tables.
    """
    from auditor.workflows.facts import workflow_subjects as build

    def permissions_for(role: str, _declared: Mapping[str, frozenset[str]]) -> frozenset[str] | None:
        grant = roles(role)  # already knows the declared custom roles
        return None if grant is None else grant.permissions

    for activation, location, resource in build(workflows, intent, permissions_for):
        yield Subject(
            kind=SubjectKind.WORKFLOW,
            activation=activation,
            resource=resource,
            location=location,
        )


SCOPE_KINDS = tuple(kind.value for kind in ScopeKind)


_SUBJECT_INTROS = {
    SubjectKind.MEMBER: "One principal of one IAM binding: a binding with three members is evaluated three times.",
    SubjectKind.BINDING: "One IAM binding as a whole (role, all members, scope), e.g. to judge unresolved parts.",
    SubjectKind.INSTANCE: "One notebook instance of either generation (`google_notebooks_instance`, "
    "`google_workbench_instance`).",
    SubjectKind.SERVICE_ACCOUNT: "One declared service account (`google_service_account`).",
    SubjectKind.KEY: "One user-managed service account key (`google_service_account_key`).",
    SubjectKind.CONFLICT: "Terraform IAM resources that overwrite each other (from the model's conflicts).",
    SubjectKind.ESCALATION: "One (principal, first edge) of the access graph built from the model (auditor/access): "
    "the path to the most powerful identity reachable through that edge and the admin-level permissions it gains.",
    SubjectKind.WORKFLOW: "One GitHub Actions workflow file (`.github/workflows/*.y*ml` of a scanned directory, or "
    "`--workflows DIR`), joined with the Terraform intent: the service account it authenticates as is looked up in "
    "the bindings. A finding points at the line of the offending step, which differs per policy.",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def variables_markdown() -> str:
    """docs/policy-variables.md, generated from `VARIABLES` so the documentation cannot drift from the code."""
    lines = [
        "# Policy variables",
        "",
        "<!-- Generated from auditor/policy/subjects.py (VARIABLES); a test keeps this file in sync. Regenerate: -->",
        "<!-- python -c 'from auditor.policy.subjects import variables_markdown as m; print(m(), end=\"\")' "
        "> docs/policy-variables.md -->",
        "",
        "A policy's `condition` is one CEL expression over the variables of its `subject`; true means a violation.",
        "Its `message` may use the same variables as `{dotted.name}` placeholders (`{{` and `}}` are literal braces;",
        "lists render comma-separated -- semicolon-separated when an item itself holds a comma -- and an empty list",
        "as `none`).",
        "",
        "Unknown values are never made to look safe: a value that could not be resolved statically reads",
        "`${expression}` in its text form, and a `*_unresolved` boolean beside it is true. Booleans such as",
        "`instance.public_ip` are true only when the value is known to be true, so a condition that must not pass",
        "unknowns checks both (`instance.public_ip || instance.public_ip_unresolved`).",
        "",
        "The `role.*` facts come from the role catalog (`auditor/roles/catalog.py`): predefined roles and the custom",
        "roles declared in the audited Terraform. They are judged by permissions, not by role names.",
        "",
        "## Writing a team policy",
        "",
        "One YAML file per policy, named after its id, in a directory passed with `--policies DIR` (repeatable) or",
        "listed under `policies` in the config. Every file is checked against",
        "`auditor/policy/policy.schema.json`, its condition compiled and its variable names checked before anything",
        "is evaluated; a mistake stops the run with `file: policy id: message` and exit code 2. Ids must be unique",
        'across built-in and team policies; a built-in is turned off with `disable = ["id"]` in the config.',
        "",
        "```yaml",
        "id: no-domain-wide-notebook-users",
        "title: A whole domain can open notebooks",
        "severity: medium",
        "subject: member",
        "condition: principal.kind == 'domain' && role.notebook_use",
        "message: >-",
        "  Everyone in {principal.member} can open notebook instances through {binding.role} on",
        "  {binding.scope_kind} {binding.scope}.",
        "rationale: Notebook access is granted per team, never to a whole domain.",
        "remediation: Grant the role to the team's group instead.",
        "references: []",
        "```",
        "",
        "`auditor policies` lists what would run, `auditor explain ID` shows one policy in full.",
        "",
    ]
    for kind in SubjectKind:
        lines += [f"## `{kind.value}`", "", _SUBJECT_INTROS[kind], ""]
        if not VARIABLES[kind]:
            continue
        lines += ["| variable | type | meaning |", "| --- | --- | --- |"]
        lines += [f"| `{v.name}` | {v.type} | {_cell(v.doc)} |" for v in VARIABLES[kind]]
        lines.append("")
    return "\n".join(lines)
