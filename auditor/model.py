"""The typed picture every source produces and every consumer reads.

Terraform (HCL or plan JSON) and the live reader both yield these frozen objects; the policy engine, drift
comparison and reporters only ever read them. Nothing downstream mutates a model object.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value that cannot be known statically: an unset variable, a computed attribute, a remote module.

    An unknown keeps what is known about it: its `origin` (what it hangs on) and, where the expression gives one,
    its `shape` (a template with holes). Two unknowns with the same origin are equal, whatever their texts.
    """

    expression: str = field(compare=False)
    """The source text (or plan path) that produced the value, shown to the user."""
    origin: str = ""
    """What the value hangs on: `var.project_id`, `google_service_account.runtime.email`, `provider.google.project`.
    Defaults to `expression`."""
    shape: str | None = field(default=None, compare=False)
    """The value as a template with `{origin}` holes (`wb-runtime@{var.project_id}.iam.gserviceaccount.com`), or
    None when nothing of it is known."""
    declared_by: str | None = field(default=None, compare=False)
    """The address of the declared resource (a `google_service_account`, a custom role) whose attribute this is, or
    that the value names (`"serviceAccount:${google_service_account.runtime.email}"`): its symbolic identity."""

    def __post_init__(self) -> None:
        if not self.origin:
            object.__setattr__(self, "origin", self.expression)

    def __str__(self) -> str:
        """How reports name it: its shape (`wb@{var.project_id}.iam.gserviceaccount.com`) or its origin
        (`var.project_id`), never `${...}` internals."""
        return self.shape if self.shape is not None else self.origin

    @property
    def hole(self) -> str:
        """The unknown as a hole in a shape: its own shape, or `{origin}`."""
        return self.shape if self.shape is not None else hole(self.origin)


def hole(origin: str) -> str:
    """`{origin}`, with the origin's own braces (`${...}` of a template's text) taken out: a hole never nests."""
    return "{" + origin.replace("${", "").replace("{", "").replace("}", "") + "}"


class Severity(enum.Enum):
    """Ordered: `Severity.LOW < Severity.HIGH`, so `max(severities)` is the worst and `>=` is the gate."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for `--fail-on` comparisons and sorting."""
        return _SEVERITY_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.lower())
        except ValueError:
            allowed = "|".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected {allowed})") from None


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


@dataclass(frozen=True, slots=True)
class Location:
    """Where a fact comes from: a file and line for intent, a resource name for live state."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class PrincipalKind(enum.Enum):
    USER = "user"
    GROUP = "group"
    SERVICE_ACCOUNT = "serviceAccount"
    DOMAIN = "domain"
    ALL_USERS = "allUsers"
    ALL_AUTHENTICATED_USERS = "allAuthenticatedUsers"
    PRINCIPAL = "principal"
    PRINCIPAL_SET = "principalSet"
    DELETED = "deleted"
    PROJECT_ROLE = "projectRole"
    """Convenience members such as `projectOwner:p`, `projectEditor:p`, `projectViewer:p`."""
    UNRESOLVED = "unresolved"
    OTHER = "other"


HUMAN_KINDS = frozenset(
    {
        PrincipalKind.USER,
        PrincipalKind.GROUP,
        PrincipalKind.DOMAIN,
        PrincipalKind.ALL_USERS,
        PrincipalKind.ALL_AUTHENTICATED_USERS,
    }
)
PUBLIC_KINDS = frozenset({PrincipalKind.ALL_USERS, PrincipalKind.ALL_AUTHENTICATED_USERS})
_SHAPED_KINDS = frozenset({"user", "group", "domain", "serviceAccount"})
"""Member prefixes that tell an unresolved member's kind from its shape (`serviceAccount:{...email}`)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """One IAM member, parsed: its kind decides how it is classified (`auditor.identities`)."""

    member: str
    """The IAM member string exactly as written (`user:a@b.c`), the shape of an unresolved member whose kind is
    known (`serviceAccount:wb-runtime@{var.project_id}.iam.gserviceaccount.com`), or the expression text."""
    kind: PrincipalKind
    identity: str | None = None
    """The declaring address of the `google_service_account` the member is (`google_service_account.runtime`),
    whether or not its email resolves; None when it is not a declared account."""
    value: Unresolved | None = field(default=None, compare=False)
    """The unknown the member came from, when it is unresolved (its origin names what to pass in)."""

    @classmethod
    def parse(cls, member: str | Unresolved) -> Principal:
        if isinstance(member, Unresolved):
            shape = member.shape or ""
            prefix, sep, _ = shape.partition(":")
            if sep and "{" not in prefix and prefix in _SHAPED_KINDS:
                return cls(shape, PrincipalKind(prefix), member.declared_by, member)
            return cls(member.origin, PrincipalKind.UNRESOLVED, member.declared_by, member)
        if member in ("allUsers", "allAuthenticatedUsers"):
            return cls(member, PrincipalKind(member))
        prefix, sep, _ = member.partition(":")
        if not sep:
            return cls(member, PrincipalKind.OTHER)
        if prefix == "deleted":
            return cls(member, PrincipalKind.DELETED)
        if prefix in ("projectOwner", "projectEditor", "projectViewer"):
            return cls(member, PrincipalKind.PROJECT_ROLE)
        if member.startswith("principalSet://"):
            return cls(member, PrincipalKind.PRINCIPAL_SET)
        if member.startswith("principal://"):
            return cls(member, PrincipalKind.PRINCIPAL)
        try:
            return cls(member, PrincipalKind(prefix))
        except ValueError:
            return cls(member, PrincipalKind.OTHER)

    @property
    def human(self) -> bool:
        """A person or a group of people (including the public), as opposed to a workload identity."""
        return self.kind in HUMAN_KINDS

    @property
    def public(self) -> bool:
        return self.kind in PUBLIC_KINDS

    @property
    def email(self) -> str | None:
        if self.kind in (PrincipalKind.USER, PrincipalKind.GROUP, PrincipalKind.SERVICE_ACCOUNT):
            return self.member.partition(":")[2].split("?uid=")[0]
        return None

    @property
    def service_agent(self) -> bool:
        """Google-managed service agents (`service-N@gcp-sa-*.iam.gserviceaccount.com` and the like)."""
        from auditor.identities import PrincipalClass, classify

        return classify(self) is PrincipalClass.SERVICE_AGENT


class ScopeKind(enum.Enum):
    PROJECT = "project"
    FOLDER = "folder"
    ORGANIZATION = "organization"
    SERVICE_ACCOUNT = "service_account"
    NOTEBOOK_INSTANCE = "notebook_instance"
    """A v1 user-managed notebook (google_notebooks_instance)."""
    WORKBENCH_INSTANCE = "workbench_instance"
    """A v2 Workbench instance (google_workbench_instance)."""
    COMPUTE_INSTANCE = "compute_instance"
    """A Compute Engine VM (`projects/P/zones/Z/instances/N`): every Workbench instance is one."""


@dataclass(frozen=True, slots=True)
class Scope:
    """The resource an IAM policy is attached to."""

    kind: ScopeKind
    name: str | Unresolved
    """Project id, `folders/N`, `organizations/N`, service account email, or instance
    `projects/P/locations/L/instances/I`."""

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}"


class Authority(enum.Enum):
    """How much of the live policy a Terraform resource claims (see GCP-NOTES.md)."""

    POLICY = "policy"
    BINDING = "binding"
    MEMBER = "member"
    REMOVE = "remove"
    LIVE = "live"
    """Read from the live project, not declared."""


@dataclass(frozen=True, slots=True)
class Condition:
    """An IAM condition as declared: CEL expression, title and description."""

    expression: str | Unresolved
    title: str | Unresolved = ""
    description: str | Unresolved = ""


@dataclass(frozen=True, slots=True)
class Binding:
    """One role granted to members on one scope, by one Terraform resource or one live policy entry."""

    scope: Scope
    role: str | Unresolved
    members: tuple[Principal, ...]
    authority: Authority
    address: str
    """Terraform address (`module.m.google_project_iam_member.x["k"]`) or live resource name."""
    location: Location
    condition: Condition | None = None
    unresolved: tuple[str, ...] = ()
    """Expression texts of the parts that could not be resolved (role, members, scope, condition)."""
    identity: str | None = None
    """For a binding on a service account: the declaring address of that account (`google_service_account.runtime`),
    whether or not its email resolves; None otherwise or when it is not declared."""

    @property
    def key(self) -> tuple[str, str]:
        """What makes two bindings on one scope the same binding: (role, condition expression); titles are cosmetic."""
        expression = self.condition.expression if self.condition else ""
        return (str(self.role), str(expression))


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """A service account, declared in Terraform or read live."""

    email: str | Unresolved
    project: str | Unresolved
    address: str
    location: Location
    account_id: str | Unresolved = ""
    display_name: str | Unresolved = ""
    disabled: bool = False
    identity: str | None = None
    """Its symbolic identity: the declaring address (`module.m.google_service_account.runtime`) for Terraform."""


@dataclass(frozen=True, slots=True)
class ServiceAccountKey:
    """A user-managed key of a service account (`google_service_account_key`)."""

    service_account: str | Unresolved
    address: str
    location: Location


@dataclass(frozen=True, slots=True)
class Accelerator:
    """A GPU attached to a notebook instance."""

    type: str | Unresolved
    core_count: int | Unresolved


@dataclass(frozen=True, slots=True)
class ShieldedVm:
    """Shielded VM switches as declared; None is the API's default, an unknown stays unknown."""

    secure_boot: bool | Unresolved | None = None
    """None: not set in the declaration (the API default applies)."""
    vtpm: bool | Unresolved | None = None
    integrity_monitoring: bool | Unresolved | None = None


def frozen_map(values: Mapping[str, _V]) -> Mapping[str, _V]:
    """A read-only copy: a frozen model object must not be changed through a mapping it holds."""
    return MappingProxyType(dict(values))


class Generation(enum.StrEnum):
    """The notebook API generation of an instance (a str, so it reads and serialises as `v1`/`v2`)."""

    V1 = "v1"
    """User-managed notebooks: google_notebooks_instance, notebooks v1 API."""
    V2 = "v2"
    """Workbench instances: google_workbench_instance, notebooks v2 API."""

    @property
    def scope_kind(self) -> ScopeKind:
        """The IAM scope kind of an instance of this generation."""
        return ScopeKind.NOTEBOOK_INSTANCE if self is Generation.V1 else ScopeKind.WORKBENCH_INSTANCE


DEFAULT_SERVICE_ACCOUNT = "default"
"""The value of `NotebookInstance.service_account` when the instance runs as the Compute Engine default."""


@dataclass(frozen=True, slots=True)
class NotebookInstance:
    """A notebook instance of either API generation, normalised to one shape."""

    name: str | Unresolved
    """Short instance name."""
    project: str | Unresolved
    zone: str | Unresolved
    generation: Generation
    """`v1` (google_notebooks_instance / notebooks v1) or `v2` (google_workbench_instance / notebooks v2); a plain
    `"v1"`/`"v2"` given by a source is converted, anything else refused."""
    address: str
    location: Location
    machine_type: str | Unresolved | None = None
    accelerators: tuple[Accelerator, ...] = ()
    image: str | Unresolved | None = None
    """`project/family:F`, `project/image:I` or `container:REPO:TAG`."""
    service_account: str | Unresolved = DEFAULT_SERVICE_ACCOUNT
    """Email, or DEFAULT_SERVICE_ACCOUNT when none is set (the default compute service account)."""
    public_ip: bool | Unresolved = True
    shielded_vm: ShieldedVm = field(default_factory=ShieldedVm)
    metadata: Mapping[str, str | Unresolved] = field(default_factory=dict)
    labels: Mapping[str, str | Unresolved] = field(default_factory=dict)
    identity: str | None = None
    """The declaring address of the `google_service_account` it runs as, when it runs as a declared account."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "generation", Generation(self.generation))
        object.__setattr__(self, "metadata", frozen_map(self.metadata))
        object.__setattr__(self, "labels", frozen_map(self.labels))

    @property
    def full_name(self) -> str:
        return f"projects/{self.project}/locations/{self.zone}/instances/{self.name}"

    @property
    def uses_default_service_account(self) -> bool:
        """No account set, `NUMBER-compute@developer.gserviceaccount.com`, or the default account's data source
        (classified in auditor/identities.py)."""
        from auditor.identities import PrincipalClass, classify_account

        return classify_account(self.service_account, self.identity) is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT


@dataclass(frozen=True, slots=True)
class ComputeInstance:
    """A Compute Engine VM: Workbench instances and plain VMs, for the access graph (code runs as its account)."""

    name: str | Unresolved
    """Short instance name."""
    project: str | Unresolved
    zone: str | Unresolved
    address: str
    """Terraform address, or the live name `projects/P/zones/Z/instances/N`."""
    location: Location
    service_account: str | Unresolved | None = None
    """The attached service account's email; None when none is attached."""
    metadata: Mapping[str, str | Unresolved] = field(default_factory=dict)
    identity: str | None = None
    """The declaring address of the `google_service_account` it runs as, when it runs as a declared account."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", frozen_map(self.metadata))

    @property
    def full_name(self) -> str:
        return f"projects/{self.project}/zones/{self.zone}/instances/{self.name}"


@dataclass(frozen=True, slots=True)
class CustomRole:
    """A custom role at project or organization level and the permissions it grants."""

    role: str | Unresolved
    """Full role name: `projects/P/roles/ID` or `organizations/O/roles/ID`."""
    role_id: str | Unresolved
    permissions: frozenset[str]
    address: str
    location: Location
    unresolved: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Folder:
    """A resource-manager folder: the IAM granted on it applies to every folder and project below it."""

    name: str
    """`folders/N`."""
    parent: str | None
    """`folders/N` or `organizations/N`; None when unknown."""
    display_name: str = ""
    address: str = ""
    """Live resource name or Terraform address."""


@dataclass(frozen=True, slots=True)
class Project:
    """A project and where it sits in the resource hierarchy (ancestry: project -> folders -> organization)."""

    id: str | Unresolved
    """Project id (`my-project`)."""
    number: str | None = None
    parent: str | None = None
    """`folders/N` or `organizations/N`; None when unknown (or a project without organization)."""
    address: str = ""
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class GroupMembership:
    """A member of a Cloud Identity group (`google_cloud_identity_group_membership`): it holds what the group holds."""

    group: str | Unresolved
    """The group's email (`team@example.com`), or the group's name (`groups/ID`) when its email is not known."""
    member: Principal
    """`user:`, `serviceAccount:` or `group:` member (the kind told from the email where the source does not say)."""
    address: str
    location: Location
    roles: tuple[str, ...] = ("MEMBER",)
    """`MEMBER`, `MANAGER`, `OWNER`: every one of them receives the group's grants."""


@dataclass(frozen=True, slots=True)
class DenyRule:
    """One rule of an IAM deny policy: the denied principals lose the denied permissions, whatever they are granted."""

    denied_principals: tuple[str, ...]
    """IAM v1 members where the v2 form maps onto one (`user:`, `group:`, `serviceAccount:`, `domain:`, `allUsers`),
    else the v2 principal identifier as written."""
    denied_permissions: tuple[str, ...]
    """v1 permission names (`iam.serviceAccounts.getAccessToken`), converted from `iam.googleapis.com/...`."""
    exception_principals: tuple[str, ...] = ()
    exception_permissions: tuple[str, ...] = ()
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class DenyPolicy:
    """`google_iam_deny_policy`: attached to an organization, folder or project (its `parent`)."""

    scope: Scope
    name: str | Unresolved
    rules: tuple[DenyRule, ...]
    address: str
    location: Location
    unresolved: tuple[str, ...] = ()
    """Expression texts of the parts that could not be resolved (parent, principals, permissions)."""


class ConflictKind(enum.Enum):
    POLICY_WITH_BINDING_OR_MEMBER = "policy_with_binding_or_member"
    BINDING_WITH_MEMBER = "binding_with_member"
    DUPLICATE_BINDING = "duplicate_binding"
    DUPLICATE_POLICY = "duplicate_policy"


@dataclass(frozen=True, slots=True)
class Conflict:
    """Terraform resources that overwrite each other on every apply."""

    kind: ConflictKind
    scope: Scope
    role: str | Unresolved | None
    addresses: tuple[str, ...]
    locations: tuple[Location, ...]
    message: str


@dataclass(frozen=True, slots=True)
class InputError:
    """An input that could not be read; the rest is still audited."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}:{self.column or 1}: {self.message}"
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class Intent:
    """Everything the inputs declare (or, for the live reader, everything read)."""

    bindings: tuple[Binding, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    keys: tuple[ServiceAccountKey, ...] = ()
    instances: tuple[NotebookInstance, ...] = ()
    custom_roles: tuple[CustomRole, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    errors: tuple[InputError, ...] = ()
    projects: tuple[Project, ...] = ()
    """Projects with their parents, for ancestry (see auditor/hierarchy.py)."""
    compute_instances: tuple[ComputeInstance, ...] = ()
    folders: tuple[Folder, ...] = ()
    organization: str | None = None
    """`organizations/N` when the source knows the organization (Cloud Asset Inventory, the simulator state)."""
    group_memberships: tuple[GroupMembership, ...] = ()
    deny_policies: tuple[DenyPolicy, ...] = ()


class FindingKind(enum.Enum):
    INTENT = "intent"
    LIVE = "live"
    DRIFT = "drift"


@dataclass(frozen=True, slots=True)
class Suppression:
    """A reasoned, optionally dated decision to accept a finding (comment or config)."""

    policy_id: str
    reason: str
    until: dt.date | None = None
    """The last day the suppression works; after it the finding counts again (judged when reporting)."""
    source: str = ""
    """Where it was written: `path:line` of the comment, or the config file."""

    def expired_on(self, today: dt.date) -> bool:
        return self.until is not None and self.until < today


@dataclass(frozen=True, slots=True)
class DriftDetail:
    """The drift-only part of a finding: one compared value, declared against live."""

    declared: str
    live: str
    field: str | None = None
    """The compared attribute (`service_account`, `included_permissions`); None for a grant's condition."""


@dataclass(frozen=True, slots=True)
class Finding:
    """What a policy or drift rule found: the rule, where, about whom, and what to do."""

    rule: str
    severity: Severity
    kind: FindingKind
    resource: str
    message: str
    location: Location
    """Required: a finding without a place to look at is useless."""
    principal: str | None = None
    role: str | None = None
    remediation: str = ""
    drift: DriftDetail | None = None
    """For a drift finding that compares one value: what Terraform declares and what is live."""
    suppression: Suppression | None = None
    project: str | None = None
    """The project the resource lives in; None for folder/organization scopes and when unknown. Reports group by it."""
    path: tuple[Mapping[str, str | None], ...] = ()
    """For `privilege-escalation`: the steps `{from, to, technique, address, location, condition}`."""
    permissions: tuple[str, ...] = ()
    """For `privilege-escalation`: the admin-level permissions gained, sorted."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", tuple(frozen_map(step) for step in self.path))
        if not self.location.path:
            raise ValueError(f"finding {self.rule} on {self.resource} has no location")

    def suppressed_on(self, today: dt.date) -> bool:
        """Covered by a suppression that has not expired on `today` (the report's date)."""
        return self.suppression is not None and not self.suppression.expired_on(today)


@dataclass(frozen=True, slots=True)
class ReadError:
    """A live read that failed (denied, retries exhausted, location unreachable): the report is incomplete."""

    call: str
    """The API call as named in the simulator's fault list, e.g. `serviceAccounts.getIamPolicy`."""
    resource: str
    message: str
    permission: str | None = None
    """The IAM permission that was missing, when the read was denied."""

    def __str__(self) -> str:
        needed = f" (needs {self.permission})" if self.permission else ""
        return f"{self.call} {self.resource}: {self.message}{needed}"


@dataclass(frozen=True, slots=True)
class AuditResult:
    """What a command hands to a reporter: findings plus everything that went wrong while producing them."""

    findings: tuple[Finding, ...]
    errors: tuple[InputError | ReadError, ...] = ()
    scanned: tuple[str, ...] = ()
    """The paths (or projects) audited, for the report header."""
    projects: tuple[str, ...] = ()
    """Projects read live; reports then group findings by project with a summary row per project."""
    today: dt.date = field(default_factory=dt.date.today)
    """The report's date: suppressions are judged expired or not against it."""

    @property
    def complete(self) -> bool:
        """False when any input or live read failed: such a report never passes as clean."""
        return not self.errors
