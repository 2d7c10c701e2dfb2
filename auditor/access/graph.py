"""The access graph: who can act as whom, built from the model (Terraform intent and live state alike).

Nodes are principals (users, groups, domains, the public, federated identities), service accounts (by their
symbolic identity where Terraform declares them), the triggerers of a GitHub Actions workflow, and "every permission
at a scope" (what `setIamPolicy` on a project, or updating a custom role one holds, amounts to). Grants are the
bindings each node holds, flowing down organization -> folder -> project -> resource; edges are "can act as", each
made by one technique of the catalog (`techniques.json`) from the grants that give it, with their condition.
"""

from __future__ import annotations

import datetime
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from auditor.access.conditions import Verdict, condition_text, judge
from auditor.access.techniques import Mechanism, Technique, by_mechanism, catalog
from auditor.hierarchy import Hierarchy, project_of
from auditor.identities import account_email, email_key
from auditor.model import (
    DEFAULT_SERVICE_ACCOUNT,
    Authority,
    Binding,
    Condition,
    Intent,
    Location,
    Principal,
    PrincipalKind,
    Scope,
    ScopeKind,
    Unresolved,
)
from auditor.roles.catalog import ACT_AS, ADMIN_LEVEL, RoleLookup, catalog_lookup, is_custom_role, role_key
from auditor.workflows.model import IdentityKind, NotebookControl, Source

if TYPE_CHECKING:
    from auditor.workflows.model import Workflow


class NodeKind(enum.Enum):
    PRINCIPAL = "principal"
    """A user, group, domain, the public, or a federated (workload identity) principal."""
    SERVICE_ACCOUNT = "service_account"
    WORKFLOW = "workflow"
    """Whoever can trigger a GitHub Actions workflow."""
    SCOPE = "scope"
    """Every permission at a project, folder or organization."""


@dataclass(frozen=True, slots=True)
class Node:
    """A principal or a scope in the access graph."""

    key: str
    label: str
    """What a reader recognises: `user:alice@x`, the account's email, `anyone who can trigger chatops.yml`."""
    kind: NodeKind
    human: bool = False
    """A person or people (users, groups, domains, the public, a workflow's triggerers)."""
    member: str = ""
    """The IAM member as written, for principals and service accounts; the path of a workflow."""


@dataclass(frozen=True, slots=True)
class Grant:
    """One role a node holds on one resource, through one binding."""

    resource: str
    """Resource key: `projects/P`, `folders/N`, `organizations/N`, `serviceAccounts/<account>`, an instance name."""
    role: str
    permissions: frozenset[str]
    address: str
    location: Location
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """`source` can act as `target` through `technique`, thanks to the binding at `address`."""

    source: str
    target: str
    technique: str
    address: str
    location: Location
    role: str = ""
    """The role of that binding (`roles/iam.serviceAccountTokenCreator`)."""
    condition: str | None = None
    """The IAM condition expression when the edge holds only under it (kept, marked conditional)."""
    also: tuple[str, ...] = ()
    """Other bindings the technique needs (the actAs grant of a create-as technique)."""


@dataclass(frozen=True, slots=True)
class Resource:
    """A scope the graph knows: its node and its place in the hierarchy."""

    key: str
    kind: ScopeKind
    name: str
    """The name an IAM condition's `resource.name` sees."""
    ancestors: tuple[str, ...]
    """Resource keys above it, closest first (its project, folders, organization)."""
    account: str | None = None
    """For an instance: the key of the service account it runs as."""
    single_user: bool = False
    """A Workbench instance in single-user access mode (only its owner opens it)."""


@dataclass
class AccessGraph:
    """Principals, scopes and the technique edges between them."""

    nodes: dict[str, Node] = field(default_factory=dict)
    grants: dict[str, list[Grant]] = field(default_factory=lambda: defaultdict(list))
    edges: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    resources: dict[str, Resource] = field(default_factory=dict)
    under: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Resource key -> accounts and instances below it (not itself)."""
    denials: dict[str, list[tuple[str, tuple[str, ...], frozenset[str]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """Node key -> (resource key, denied permission patterns, excepted permissions) from deny policies."""
    now: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))
    fronted: set[str] = field(default_factory=set)
    """Accounts a scanned workflow runs as: its triggerers stand for whoever federates into them."""
    workflow_of: dict[str, tuple[str, frozenset[str] | None]] = field(default_factory=dict)
    """Account key -> (path of the scanned workflow it is the identity of, the notebook operations that workflow lets
    a trigger run, or None when the trigger chooses freely). The matrix marks the account with it."""

    # --- queries ------------------------------------------------------------------------------------------------

    def chain(self, resource: str) -> tuple[str, ...]:
        known = self.resources.get(resource)
        return (resource, *known.ancestors) if known else (resource,)

    def denied(self, node: str, permission: str, resource: str) -> bool:
        rules = self.denials.get(node)
        if not rules:
            return False
        chain = self.chain(resource)
        for scope, patterns, exceptions in rules:
            if scope in chain and permission not in exceptions and any(fnmatchcase(permission, p) for p in patterns):
                return True
        return False

    def holding(self, node: str, permissions: Iterable[str], resource: str) -> tuple[Grant, Verdict] | None:
        """The grant through which `node` holds any of `permissions` on `resource` (an unconditional one first)."""
        wanted = frozenset(permissions)
        chain = self.chain(resource)
        if self.nodes[node].kind is NodeKind.SCOPE:
            scope = node.removeprefix("scope:")
            if scope in chain and wanted:
                every = Grant(scope, "every permission", wanted, node, Location(scope))
                return every, Verdict.ALWAYS
            return None
        name = self.resources[resource].name if resource in self.resources else None
        conditional: tuple[Grant, Verdict] | None = None
        for grant in self.grants.get(node, ()):
            if grant.resource not in chain:
                continue
            usable = [p for p in grant.permissions & wanted if not self.denied(node, p, resource)]
            if not usable:
                continue
            verdict = judge(grant.condition, name, self.now)
            if verdict is Verdict.ALWAYS:
                return grant, verdict
            if verdict is Verdict.CONDITIONAL and conditional is None:
                conditional = (grant, verdict)
        return conditional

    def admin_holdings(self, node: str) -> dict[tuple[str, str], Grant | None]:
        """(admin-level permission, resource key) -> the grant giving it; every one at its scope for a scope node."""
        if self.nodes[node].kind is NodeKind.SCOPE:
            scope = node.removeprefix("scope:")
            above = _ABOVE.get(scope.partition("/")[0], frozenset())
            return {(permission, scope): None for permission in ADMIN_LEVEL - above}
        held: dict[tuple[str, str], Grant | None] = {}
        for grant in self.grants.get(node, ()):
            for permission in grant.permissions & ADMIN_LEVEL:
                if self.denied(node, permission, grant.resource):
                    continue
                if judge(grant.condition, self._name(grant.resource), self.now) is Verdict.NEVER:
                    continue
                held.setdefault((permission, grant.resource), grant)
        return held

    def _name(self, resource: str) -> str | None:
        known = self.resources.get(resource)
        return known.name if known else None

    def label(self, resource: str) -> str:
        """A resource key as a reader knows it: a service account by its email, anything else by its name."""
        account = self.nodes.get(resource.removeprefix("serviceAccounts/"))
        if resource.startswith("serviceAccounts/") and account is not None:
            return account.label
        return resource

    def instances(self) -> list[Resource]:
        return [
            r
            for r in self.resources.values()
            if r.kind in (ScopeKind.NOTEBOOK_INSTANCE, ScopeKind.WORKBENCH_INSTANCE, ScopeKind.COMPUTE_INSTANCE)
        ]


# --- naming -------------------------------------------------------------------------------------------------------


def account_key(value: str | Unresolved | None, identity: str | None = None) -> str | None:
    """How the graph names a service account: its symbolic identity (the declaring `google_service_account`
    address) where known, else `serviceAccount:` + its email in lowercase. None: nothing names it."""
    if identity:
        return identity
    if isinstance(value, Unresolved):
        return value.declared_by
    if not value:
        return None
    return "serviceAccount:" + email_key(account_email(value))


def principal_key(principal: Principal) -> str | None:
    if principal.identity or principal.kind is PrincipalKind.SERVICE_ACCOUNT:
        return account_key(principal.value or principal.member, principal.identity)
    if principal.kind in (PrincipalKind.UNRESOLVED, PrincipalKind.DELETED, PrincipalKind.OTHER):
        return None
    if principal.kind in (PrincipalKind.USER, PrincipalKind.GROUP, PrincipalKind.DOMAIN):
        return principal.member.lower()
    return principal.member


def _text(value: str | Unresolved) -> str:
    if isinstance(value, Unresolved):
        return value.shape or value.origin
    return value


# --- building -----------------------------------------------------------------------------------------------------


class _Builder:
    def __init__(
        self, intent: Intent, workflows: Sequence[Workflow], now: datetime.datetime | None, roles: RoleLookup | None
    ) -> None:
        self.intent = intent
        self.workflows = workflows
        self.graph = AccessGraph()
        if now is not None:
            self.graph.now = now
        self.hierarchy = Hierarchy.of(intent)
        self.roles = catalog_lookup(intent.custom_roles) if roles is None else roles
        self.by_email: dict[str, str] = {}
        self._users: set[str] | None = None
        self.federated_accounts: set[str] = set()
        """Accounts a scanned workflow authenticates as: their federated principals are that workflow."""

    # resources ---------------------------------------------------------------------------------------------------

    def _project_chain(self, project: str | Unresolved | None) -> tuple[str, ...]:
        if isinstance(project, Unresolved):
            # Resources whose project is the same unknown (one `var.project_id`) share one symbolic project.
            return (f"projects/{{{project.origin}}}",)
        if not project:
            return ()
        project = project.removeprefix("projects/")
        return (f"projects/{project}", *self.hierarchy.project_ancestors(project))

    def _add_resource(self, resource: Resource) -> None:
        if resource.key in self.graph.resources:
            return
        self.graph.resources[resource.key] = resource
        for ancestor in resource.ancestors:
            self.graph.under[ancestor].append(resource.key)

    def _scope_resource(self, kind: ScopeKind, name: str | Unresolved) -> str:
        """The resource key of a binding's scope, registering the resource (and its ancestry)."""
        if kind is ScopeKind.PROJECT:
            chain = self._project_chain(name)
            if not chain:
                chain = ("projects/-",)
            self._add_resource(Resource(chain[0], kind, chain[0], chain[1:]))
            return chain[0]
        assert isinstance(name, str)  # the callers attach no other unknown scope
        if kind in (ScopeKind.FOLDER, ScopeKind.ORGANIZATION):
            self._add_resource(Resource(name, kind, name, self.hierarchy.ancestors(name)))
            return name
        if kind is ScopeKind.SERVICE_ACCOUNT:
            key = account_key(name, self.by_email.get(email_key(account_email(name))))
            assert key is not None
            return self._account(key, name, None)
        self._add_resource(Resource(name, kind, name, self._project_chain(project_of(Scope(kind, name)))))
        return name

    def _account(self, key: str, email: str | Unresolved | None, project: str | Unresolved | None) -> str:
        """Register a service account node and resource; returns its resource key."""
        resource = f"serviceAccounts/{key}"
        if key not in self.graph.nodes:
            label = _text(email) if email else key
            self.graph.nodes[key] = Node(key, label, NodeKind.SERVICE_ACCOUNT, False, f"serviceAccount:{label}")
        if resource not in self.graph.resources:
            if project is None and isinstance(email, str):
                project = project_of(Scope(ScopeKind.SERVICE_ACCOUNT, email))
            email_text = _text(email) if email else key
            self._add_resource(
                Resource(
                    resource,
                    ScopeKind.SERVICE_ACCOUNT,
                    f"projects/-/serviceAccounts/{email_text}",
                    self._project_chain(project),
                )
            )
        return resource

    def _instance_account(self, value: str | Unresolved | None, identity: str | None, project: object) -> str | None:
        if value is None:
            return None
        if value == DEFAULT_SERVICE_ACCOUNT:
            if not isinstance(project, str):
                return None
            key = f"serviceAccount:default-compute@{project}"
            self._account(key, f"the default compute service account of {project}", project)
            return key
        found = account_key(value, identity or self.by_email.get(email_key(account_email(_text(value)))))
        if found is None:
            return None
        self._account(found, value, None)
        return found

    def resources(self) -> None:
        for declared in self.intent.service_accounts:
            key = account_key(declared.email, declared.identity or None)
            if key is None:
                continue
            if isinstance(declared.email, str):
                self.by_email[email_key(declared.email)] = key
            self._account(key, declared.email, declared.project)
        for instance in self.intent.instances:
            name = instance.full_name
            kind = ScopeKind.NOTEBOOK_INSTANCE if instance.generation == "v1" else ScopeKind.WORKBENCH_INSTANCE
            account = self._instance_account(instance.service_account, instance.identity, instance.project)
            single = instance.metadata.get("proxy-mode") == "mail"
            self._add_resource(
                Resource(name, kind, name, self._project_chain(instance.project), account, single_user=single)
            )
        for vm in self.intent.compute_instances:
            account = self._instance_account(vm.service_account, None, vm.project)
            self._add_resource(
                Resource(
                    vm.full_name, ScopeKind.COMPUTE_INSTANCE, vm.full_name, self._project_chain(vm.project), account
                )
            )

    # grants ------------------------------------------------------------------------------------------------------

    def _node(self, principal: Principal) -> str | None:
        key = principal_key(principal)
        if key is None:
            return None
        if key not in self.graph.nodes:
            if principal.identity or principal.kind is PrincipalKind.SERVICE_ACCOUNT:
                email = principal.value if principal.value is not None else principal.email
                self._account(key, email, None)
            else:
                self.graph.nodes[key] = Node(
                    key, principal.member, NodeKind.PRINCIPAL, principal.human, principal.member
                )
        return key

    def grants(self) -> None:
        for binding in self.intent.bindings:
            self._grant(binding)
        for membership in self.intent.group_memberships:
            member = self._node(membership.member)
            group = membership.group
            if member is None or isinstance(group, Unresolved):
                continue
            group_key = self._node(
                Principal.parse(f"group:{group}") if "@" in group else Principal(group, PrincipalKind.GROUP)
            )
            if group_key is None:
                continue
            self.graph.edges[member].append(
                Edge(member, group_key, "group-member", membership.address, membership.location, "membership")
            )

    def _grant(self, binding: Binding) -> None:
        if binding.authority is Authority.REMOVE:
            return
        declared_account = binding.scope.kind is ScopeKind.SERVICE_ACCOUNT and binding.identity
        if (
            isinstance(binding.scope.name, Unresolved)
            and binding.scope.kind is not ScopeKind.PROJECT
            and not declared_account
        ):
            return  # an unknown account or instance: nothing to attach it to (unresolved-sensitive-binding says so)
        key = role_key(binding.role)
        known = self.roles(key) if key is not None else None
        if known is None:
            return  # an unknown role: unresolved-sensitive-binding reports it, the graph cannot use it
        role, permissions = _text(binding.role), known.permissions
        if binding.scope.kind is ScopeKind.SERVICE_ACCOUNT and binding.identity:
            resource = self._account(binding.identity, binding.scope.name, None)
        else:
            resource = self._scope_resource(binding.scope.kind, binding.scope.name)
        for member in binding.members:
            node = self._node(member)
            if node is None:
                continue
            self.graph.grants[node].append(
                Grant(resource, role, permissions, binding.address, binding.location, binding.condition)
            )

    def denials(self) -> None:
        members_of: dict[str, list[str]] = defaultdict(list)
        for source, edges in self.graph.edges.items():
            for edge in edges:
                if edge.technique == "group-member":
                    members_of[edge.target].append(source)
        everyone = list(self.graph.nodes)
        for policy in self.intent.deny_policies:
            if isinstance(policy.scope.name, Unresolved):
                continue
            scope = self._scope_resource(policy.scope.kind, policy.scope.name)
            for rule in policy.rules:
                if rule.condition is not None:
                    continue  # a conditional denial may not apply: the access is kept (never assumed away)
                excepted = {principal_key(Principal.parse(p)) for p in rule.exception_principals}
                targets: list[str] = []
                for member in rule.denied_principals:
                    if member in ("allUsers", "principalSet://goog/public:all"):
                        targets += everyone
                        continue
                    key = principal_key(Principal.parse(member))
                    if key is not None:
                        targets += [key, *members_of.get(key, ())]
                for key in dict.fromkeys(targets):
                    if key not in excepted:
                        self.graph.denials[key].append(
                            (scope, rule.denied_permissions, frozenset(rule.exception_permissions))
                        )

    # workflows ---------------------------------------------------------------------------------------------------

    def workflow_nodes(self) -> None:
        for workflow in self.workflows:
            accounts = []
            for identity in workflow.identities:
                if not identity.service_account:
                    continue
                key = account_key(identity.service_account, self.by_email.get(email_key(identity.service_account)))
                if key is None:
                    continue
                self._account(key, identity.service_account, None)
                accounts.append((key, identity))
                if identity.kind is IdentityKind.WORKLOAD_IDENTITY:
                    self.federated_accounts.add(key)
                self.graph.fronted.add(key)
            if not accounts:
                continue
            node = f"workflow:{workflow.path}"
            self.graph.nodes[node] = Node(
                node, f"anyone who can trigger {workflow.path}", NodeKind.WORKFLOW, True, workflow.path
            )
            controls = list(workflow.notebook_controls)
            free = bool(workflow.injections) or any(_unrestricted(c) for c in controls)
            location = Location(workflow.path, (workflow.injections[0].line if workflow.injections else workflow.line))
            for key, identity in accounts:
                if free:
                    self.graph.workflow_of[key] = (workflow.path, None)
                    self.graph.edges[node].append(Edge(node, key, "workflow-trigger", workflow.path, location))
                    continue
                # The trigger chooses nothing: it gets the operations the workflow performs, where the account can.
                verbs = {v for c in controls if c.job == identity.job or not identity.job for v in _verbs(c)}
                self.graph.workflow_of[key] = (workflow.path, frozenset(verbs))
                allowed = frozenset(f"notebooks.instances.{v}" for v in verbs)
                label = self.graph.nodes[key].label
                for grant in list(self.graph.grants.get(key, ())):
                    usable = grant.permissions & allowed
                    if usable:
                        only = "|".join(sorted(p.removeprefix("notebooks.instances.") for p in usable))
                        self.graph.grants[node].append(
                            Grant(
                                grant.resource,
                                f"only {only} through {workflow.path}, as {label} holding {grant.role}",
                                usable,
                                grant.address,
                                Location(workflow.path, workflow.line),
                                grant.condition,
                            )
                        )

    # edges -------------------------------------------------------------------------------------------------------

    def edges(self) -> None:
        graph = self.graph
        techniques = catalog()
        on_account = by_mechanism(Mechanism.ON_ACCOUNT)
        create_as = by_mechanism(Mechanism.CREATE_AS)
        on_instance = by_mechanism(Mechanism.ON_INSTANCE)
        on_scope = techniques["resource-set-iam"]
        role_update = techniques["role-update"]
        notebook_use = techniques["notebook-use"]
        delegation = techniques["sa-delegation"]
        token = techniques["sa-token"]
        delegations: dict[str, list[tuple[str, Grant, Verdict]]] = defaultdict(list)
        for source in list(graph.grants):
            grants = graph.grants[source]
            node = graph.nodes[source]
            out = _Edges(source)
            add = out.add

            act_as: dict[str, tuple[Grant, Verdict]] = {}
            for grant in grants:
                if not grant.permissions & ACT_AS:
                    continue
                for account in self._accounts_at(grant.resource):
                    held = self._usable(source, grant, ACT_AS, account)
                    if held is not None and (account not in act_as or held is Verdict.ALWAYS):
                        act_as[account] = (grant, held)
            for grant in grants:
                for technique in on_account:
                    if not grant.permissions & technique.permissions:
                        continue
                    for account in self._accounts_at(grant.resource):
                        if (
                            node.kind is NodeKind.PRINCIPAL
                            and source.startswith("principal")
                            and (
                                graph.resources[account].key.removeprefix("serviceAccounts/") in self.federated_accounts
                            )
                        ):
                            continue  # the scanned workflow stands for its federated principal
                        verdict = self._usable(source, grant, technique.permissions, account)
                        if verdict is not None:
                            add(_edge(source, account.removeprefix("serviceAccounts/"), technique, grant, verdict))
                if grant.permissions & delegation.permissions and not grant.permissions & token.permissions:
                    # With a token on the middle account too, the closure already walks on from it: only a pure
                    # implicitDelegation grant needs edges of its own.
                    for account in self._accounts_at(grant.resource):
                        verdict = self._usable(source, grant, delegation.permissions, account)
                        if verdict is not None:
                            delegations[source].append((account.removeprefix("serviceAccounts/"), grant, verdict))
                if grant.permissions & on_scope.permissions:
                    scope = graph.resources.get(grant.resource)
                    if scope is not None and scope.kind in (
                        ScopeKind.PROJECT,
                        ScopeKind.FOLDER,
                        ScopeKind.ORGANIZATION,
                    ):
                        verdict = self._usable(source, grant, on_scope.permissions, grant.resource)
                        if verdict is not None:
                            add(_edge(source, self._scope_node(grant.resource), on_scope, grant, verdict))
                if grant.permissions & role_update.permissions:
                    for custom in grants:
                        # Only a known role makes a grant: a custom one's name says where it is defined (a
                        # module's shape `projects/{var.project_id}/roles/x` names the symbolic project).
                        if not is_custom_role(custom.role):
                            continue
                        parent = custom.role.rpartition("/roles/")[0]
                        if not self._contains(grant.resource, parent):
                            continue
                        verdict = self._usable(source, grant, role_update.permissions, grant.resource)
                        if verdict is not None and custom.resource in graph.resources:
                            add(_edge(source, self._scope_node(custom.resource), role_update, grant, verdict))
                for technique in on_instance:
                    if not grant.permissions & technique.permissions:
                        continue
                    for instance in self._instances_at(grant.resource):
                        runs_as = graph.resources[instance].account
                        if runs_as is None or f"serviceAccounts/{runs_as}" not in act_as:
                            continue
                        verdict = self._usable(source, grant, technique.permissions, instance)
                        if verdict is not None:
                            also = act_as[f"serviceAccounts/{runs_as}"]
                            add(_edge(source, runs_as, technique, grant, _worst(verdict, also[1]), also[0]))
                for technique in create_as:
                    if not grant.permissions & technique.permissions:
                        continue
                    verdict = self._usable(source, grant, technique.permissions, grant.resource)
                    if verdict is None:
                        continue
                    for account, (act_grant, act_verdict) in act_as.items():
                        target = account.removeprefix("serviceAccounts/")
                        add(_edge(source, target, technique, grant, _worst(verdict, act_verdict), act_grant))
            users = self._notebook_accounts()
            for account, (act_grant, act_verdict) in act_as.items():
                target = account.removeprefix("serviceAccounts/")
                if target in users:
                    add(_edge(source, target, notebook_use, act_grant, act_verdict))
            graph.edges[source].extend(out.edges.values())
        self._delegate(delegations, delegation)

    def _delegate(self, delegations: Mapping[str, list[tuple[str, Grant, Verdict]]], technique: Technique) -> None:
        """implicitDelegation on B lets A reach whatever B reaches by sa-token (and chains through B's delegations)."""
        graph = self.graph
        changed = True
        rounds = 0
        while changed and rounds < 16:
            changed, rounds = False, rounds + 1
            for source, through in delegations.items():
                existing = {(e.target, e.technique) for e in graph.edges[source]}
                for middle, grant, verdict in through:
                    for edge in list(graph.edges.get(middle, ())):
                        if edge.technique not in ("sa-token", "sa-delegation") or edge.target == source:
                            continue
                        if (edge.target, technique.id) in existing:
                            continue
                        graph.edges[source].append(_edge(source, edge.target, technique, grant, verdict))
                        existing.add((edge.target, technique.id))
                        changed = True

    def _notebook_accounts(self) -> set[str]:
        if self._users is None:
            self._users = {
                r.account
                for r in self.graph.resources.values()
                if r.kind in (ScopeKind.NOTEBOOK_INSTANCE, ScopeKind.WORKBENCH_INSTANCE)
                and r.account is not None
                and not r.single_user
            }
        return self._users

    def _scope_node(self, resource: str) -> str:
        key = f"scope:{resource}"
        if key not in self.graph.nodes:
            kind = self.graph.resources[resource].kind.value
            label = f"every permission on {kind} {resource.rpartition('/')[2] if kind == 'project' else resource}"
            self.graph.nodes[key] = Node(key, label, NodeKind.SCOPE)
        return key

    def _contains(self, ancestor: str, resource: str) -> bool:
        return ancestor in self.graph.chain(resource)

    def _accounts_at(self, resource: str) -> list[str]:
        found = [resource] if resource.startswith("serviceAccounts/") else []
        return found + [r for r in self.graph.under.get(resource, ()) if r.startswith("serviceAccounts/")]

    def _instances_at(self, resource: str) -> list[str]:
        own = [resource] if self.graph.resources.get(resource) and self.graph.resources[resource].account else []
        return own + [r for r in self.graph.under.get(resource, ()) if not r.startswith("serviceAccounts/")]

    def _usable(self, source: str, grant: Grant, permissions: frozenset[str], resource: str) -> Verdict | None:
        """Whether the grant gives `source` one of `permissions` on `resource`, after denials and conditions."""
        usable = [p for p in grant.permissions & permissions if not self.graph.denied(source, p, resource)]
        if not usable:
            return None
        known = self.graph.resources.get(resource)
        verdict = judge(grant.condition, known.name if known else None, self.graph.now)
        return None if verdict is Verdict.NEVER else verdict


_ABOVE = {
    "projects": frozenset({"resourcemanager.folders.setIamPolicy", "resourcemanager.organizations.setIamPolicy"}),
    "folders": frozenset({"resourcemanager.organizations.setIamPolicy"}),
}
"""Permissions that mean nothing held on a scope of that kind (every permission on a project is not a folder's)."""


class _Edges:
    """A source's out-edges, one per (target, technique); an unconditional edge replaces a conditional one."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.edges: dict[tuple[str, str], Edge] = {}

    def add(self, edge: Edge) -> None:
        key = (edge.target, edge.technique)
        if edge.target == self.source:
            return
        if key not in self.edges or (self.edges[key].condition is not None and edge.condition is None):
            self.edges[key] = edge


_SAFE_VERBS = frozenset({"start", "stop"})


def _verbs(control: NotebookControl) -> frozenset[str]:
    """The operations a notebook control can run: its literal verb, or what its allowlist lets through."""
    if control.verb.source is Source.LITERAL:
        return frozenset({control.verb.text})
    return frozenset(control.allowed_verbs or ())


def _unrestricted(control: NotebookControl) -> bool:
    """The trigger chooses an operation beyond start/stop, or any instance: it acts as the workflow's account."""
    if control.verb.source is not Source.LITERAL and control.allowed_verbs is None:
        return True
    if not _verbs(control) <= _SAFE_VERBS:
        return True
    instance = control.instance
    return (
        instance is not None
        and instance.source in (Source.TRIGGER, Source.UNKNOWN)
        and control.allowed_instances is None
    )


def _worst(first: Verdict, second: Verdict) -> Verdict:
    return Verdict.CONDITIONAL if Verdict.CONDITIONAL in (first, second) else first


def _edge(
    source: str, target: str, technique: Technique, grant: Grant, verdict: Verdict, also: Grant | None = None
) -> Edge:
    return Edge(
        source=source,
        target=target,
        technique=technique.id,
        address=grant.address,
        location=grant.location,
        role=grant.role,
        condition=condition_text(grant.condition) if verdict is Verdict.CONDITIONAL else None,
        also=(also.address,) if also is not None and also.address != grant.address else (),
    )


def build_graph(
    intent: Intent,
    workflows: Sequence[Workflow] = (),
    now: datetime.datetime | None = None,
    *,
    roles: RoleLookup | None = None,
) -> AccessGraph:
    """The access graph of one model: the same code for Terraform intent and live state. `roles` is the role lookup
    the policy engine judges the same model with (default: the catalog plus the model's declared custom roles)."""
    builder = _Builder(intent, workflows, now, roles)
    builder.resources()
    builder.grants()
    builder.denials()
    builder.workflow_nodes()
    builder.edges()
    return builder.graph
