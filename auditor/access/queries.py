"""Questions asked of the access graph: who can do X (on R), what can P do, and the notebook matrix.

Every answer names how: a direct grant (role and the binding's address) or the path of edges to the identity that
holds the grant. `render.py` draws these answers; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from auditor.access.closure import Closure
from auditor.access.conditions import Verdict, condition_text
from auditor.access.escalation import is_administrator
from auditor.access.graph import AccessGraph, Edge, Grant, NodeKind
from auditor.model import ScopeKind
from auditor.roles.catalog import (
    ACT_AS,
    NOTEBOOK_DELETE,
    NOTEBOOK_RECONFIGURE,
    NOTEBOOK_SET_IAM,
    NOTEBOOK_START_STOP,
    NOTEBOOK_USE,
    OS_ADMIN_LOGIN,
    VM_CONTROL,
)


@dataclass(frozen=True, slots=True)
class Access:
    """`principal` can do something on `resource` through `grant`, held by itself or by the last identity of `path`."""

    principal: str
    resource: str
    grant: Grant
    path: tuple[Edge, ...] = ()
    conditional: bool = False
    administrator: bool = False

    @property
    def holder(self) -> str:
        return self.path[-1].target if self.path else self.principal


MATRIX_COLUMNS: tuple[tuple[str, frozenset[str]], ...] = (
    ("use", ACT_AS | NOTEBOOK_USE),
    ("start/stop", NOTEBOOK_START_STOP | frozenset({"compute.instances.start", "compute.instances.stop"})),
    ("reconfigure", NOTEBOOK_RECONFIGURE | VM_CONTROL | OS_ADMIN_LOGIN),
    ("delete", NOTEBOOK_DELETE | frozenset({"compute.instances.delete"})),
    ("change IAM", NOTEBOOK_SET_IAM | frozenset({"compute.instances.setIamPolicy"})),
    ("run code as its account", frozenset()),
)
"""The team's promises per notebook instance: who can use it, start/stop it, reconfigure it, delete it, change its
IAM, and run code as its account. `use` is actAs on the instance's account (service-account access mode)."""


class Queries:
    def __init__(self, graph: AccessGraph, administrators: Collection[str] = ()) -> None:
        self.graph = graph
        self.closure = Closure(graph)
        self.administrators = administrators
        self._granted_on: dict[str, set[str]] | None = None
        self._chain_holders: dict[str, frozenset[str]] = {}
        self._reached_by: dict[str, set[str]] | None = None
        self._administrator: dict[str, bool] = {}

    def _holders(self, resource: str) -> frozenset[str]:
        """Every node with some grant on `resource` or above it (scope nodes at or above it included): only these,
        and principals that reach one of them, can hold anything there. The matrix of an organization asks
        instances x columns x principals; without this each question walked every principal's whole closure."""
        found = self._chain_holders.get(resource)
        if found is not None:
            return found
        if self._granted_on is None:
            self._granted_on = {}
            for node, grants in self.graph.grants.items():
                for grant in grants:
                    self._granted_on.setdefault(grant.resource, set()).add(node)
            for key, known in self.graph.nodes.items():
                if known.kind is NodeKind.SCOPE:
                    self._granted_on.setdefault(key.removeprefix("scope:"), set()).add(key)
        found = frozenset(n for scope in self.graph.chain(resource) for n in self._granted_on.get(scope, ()))
        self._chain_holders[resource] = found
        return found

    def _acting_as(self, node: str) -> set[str]:
        """The principals (non-scope nodes) that act as `node`, from the closure read backwards."""
        if self._reached_by is None:
            self._reached_by = {}
            for principal in self.principals():
                for target in self.closure.reach(principal):
                    self._reached_by.setdefault(target, set()).add(principal)
        return self._reached_by.get(node, set())

    def _may_hold(self, resource: str) -> set[str]:
        """The principals that can hold anything on `resource`: its holders and whoever acts as one. Asking
        `access` only of these gives the same answers as asking every principal."""
        holders = self._holders(resource)
        found = {holder for holder in holders if self.graph.nodes[holder].kind is not NodeKind.SCOPE}
        for holder in holders:
            found |= self._acting_as(holder)
        return found

    def _is_administrator(self, principal: str) -> bool:
        known = self._administrator.get(principal)
        if known is None:
            known = self._administrator[principal] = is_administrator(self.graph, principal, self.administrators)
        return known

    def principals(self) -> list[str]:
        """Every node that can hold or reach anything, scope nodes aside."""
        return sorted(k for k, n in self.graph.nodes.items() if n.kind is not NodeKind.SCOPE)

    def entries(self) -> list[str]:
        """Where access starts: people, groups, the public, workflow triggerers, federated identities, and the
        service accounts nothing else acts as (a pipeline's own account, and a workflow's identity the workflow's
        trigger cannot act as freely: it holds its grants all the same, so the matrix lists it, marked)."""
        reached = {edge.target for edges in self.graph.edges.values() for edge in edges}
        found = []
        for key, node in self.graph.nodes.items():
            own_account = node.kind is NodeKind.SERVICE_ACCOUNT and key not in reached
            if node.kind in (NodeKind.PRINCIPAL, NodeKind.WORKFLOW) or own_account:
                found.append(key)
        return sorted(found)

    def access(self, principal: str, permissions: frozenset[str], resource: str) -> Access | None:
        """How `principal` holds one of `permissions` on `resource`: directly, else through the fewest steps."""
        holders = self._holders(resource)
        reach = self.closure.reach(principal)
        if principal not in holders and not any(holder in reach for holder in holders):
            return None  # neither it nor anything it acts as is granted anything there
        direct = self.graph.holding(principal, permissions, resource)
        administrator = self._is_administrator(principal)
        if direct is not None:
            grant, verdict = direct
            return Access(principal, resource, grant, (), verdict is Verdict.CONDITIONAL, administrator)
        best: Access | None = None
        for node in reach:
            if node not in holders:
                continue
            held = self.graph.holding(node, permissions, resource)
            if held is None:
                continue
            path = tuple(self.closure.path(principal, node))
            conditional = held[1] is Verdict.CONDITIONAL or any(step.condition for step in path)
            candidate = Access(principal, resource, held[0], path, conditional, administrator)
            if best is None or len(candidate.path) < len(best.path):
                best = candidate
        return best

    def acts_as(self, principal: str, account: str) -> Access | None:
        if account == principal:
            return None
        path = self.closure.path(principal, account)
        if not path:
            return None
        grant = Grant(f"serviceAccounts/{account}", path[-1].role, frozenset(), path[-1].address, path[-1].location)
        conditional = any(step.condition for step in path)
        administrator = self._is_administrator(principal)
        return Access(principal, grant.resource, grant, tuple(path), conditional, administrator)

    # --- the three commands -------------------------------------------------------------------------------------

    def who_can(self, permission: str, on: str | None = None) -> list[Access]:
        wanted = frozenset({permission})
        resources = self.resolve(on) if on else self._granted_resources(wanted)
        # Principal by principal, each over the resources in order, as if every pair were asked.
        pairs = sorted((principal, index) for index, r in enumerate(resources) for principal in self._may_hold(r))
        found = []
        for principal, index in pairs:
            access = self.access(principal, wanted, resources[index])
            if access is not None:
                found.append(access)
        return found

    def what_can(self, principal: str) -> tuple[list[Access], dict[str, list[tuple[str, Access]]]]:
        """The identities `principal` acts as, and its effective admin-level permissions per resource."""
        reach = self.closure.reach(principal)
        identities = [a for a in (self.acts_as(principal, n) for n in reach) if a]
        per_resource: dict[str, list[tuple[str, Access]]] = {}
        for holder in (principal, *reach):
            # admin_holdings yields admin-level permissions only; a pair already answered is not asked again.
            for permission, resource in sorted(self.graph.admin_holdings(holder)):
                if any(p == permission for p, _ in per_resource.get(resource, ())):
                    continue
                access = self.access(principal, frozenset({permission}), resource)
                if access is not None:
                    per_resource.setdefault(resource, []).append((permission, access))
        return identities, per_resource

    def matrix(self) -> list[tuple[str, list[tuple[str, list[Access]]]]]:
        """Per notebook instance: each promise column with who holds it and how."""
        rows = []
        entries = set(self.entries())
        for instance in sorted(self.graph.instances(), key=lambda r: r.key):
            if instance.kind is ScopeKind.COMPUTE_INSTANCE:
                continue
            columns = []
            for column, permissions in MATRIX_COLUMNS:
                cell: list[Access] = []
                if column == "run code as its account":
                    candidates = self._acting_as(instance.account) if instance.account else set()
                elif column == "use":
                    candidates = self._may_hold(f"serviceAccounts/{instance.account}") if instance.account else set()
                else:
                    candidates = self._may_hold(instance.key)
                for principal in sorted(entries & candidates):
                    if column == "use":
                        access = self._use(principal, instance.account)
                    elif column == "run code as its account":
                        access = self.acts_as(principal, instance.account) if instance.account else None
                    else:
                        access = self.access(principal, permissions, instance.key)
                    if access is not None:
                        cell.append(access)
                columns.append((column, cell))
            rows.append((instance.key, columns))
        return rows

    def _use(self, principal: str, account: str | None) -> Access | None:
        if account is None:
            return None
        return self.access(principal, ACT_AS, f"serviceAccounts/{account}")

    # --- naming -------------------------------------------------------------------------------------------------

    def resolve(self, text: str) -> list[str]:
        """Resource keys a user's `--on` names: a key, a project id, an instance name (full or short), an email."""
        lowered = text.lower().removeprefix("serviceaccount:")
        found = []
        for key, resource in self.graph.resources.items():
            account = self.graph.nodes.get(key.removeprefix("serviceAccounts/"))
            names = {key.lower(), resource.name.lower(), key.rpartition("/")[2].lower()}
            if account is not None:
                names.add(account.label.lower())
            if lowered in names:
                found.append(key)
        return sorted(found)

    def find_principal(self, text: str) -> str | None:
        lowered = text.lower()
        for key, node in self.graph.nodes.items():
            if lowered in {
                key.lower(),
                node.label.lower(),
                node.member.lower(),
                f"serviceaccount:{node.label}".lower(),
            }:
                return key
        # A bare email names the one member with that email (`alice@x` is `user:alice@x`).
        by_email = [key for key, node in self.graph.nodes.items() if node.member.partition(":")[2].lower() == lowered]
        return by_email[0] if len(by_email) == 1 else None

    def _granted_resources(self, permissions: frozenset[str]) -> list[str]:
        """Resources some grant gives `permissions` on (the query without `--on`): where they are granted."""
        found = {g.resource for grants in self.graph.grants.values() for g in grants if g.permissions & permissions}
        found |= {k.removeprefix("scope:") for k, n in self.graph.nodes.items() if n.kind is NodeKind.SCOPE}
        return sorted(r for r in found if r in self.graph.resources)


def how(graph: AccessGraph, access: Access) -> str:
    """`roles/x on R (address)` or `as A (technique, location) -> as B (...) holding roles/x on R (address)`."""
    grant = access.grant
    held = f"{grant.role} on {graph.label(grant.resource)} ({grant.address})" if grant.role else grant.address
    if not access.path:
        return held
    steps = " -> ".join(
        f"as {graph.nodes[step.target].label} ({step.technique}, {step.address})" for step in access.path
    )
    return steps if not grant.permissions else f"{steps}, holding {held}"


def conditions_of(access: Access) -> Iterable[str]:
    if access.grant.condition is not None:
        text = condition_text(access.grant.condition)
        if text:
            yield text
    for step in access.path:
        if step.condition:
            yield step.condition
