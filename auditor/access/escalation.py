"""Privilege escalation: what a principal gains, through one or more edges, beyond what it holds itself.

One result per (principal, first edge): the path to the most powerful identity reachable through that edge (most
admin-level permissions gained, then fewest steps), the admin-level permissions gained (sorted), and one sentence a
reviewer reads. The `privilege-escalation` policy (policies/privilege-escalation.yaml) judges these facts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from auditor.access.closure import Closure
from auditor.access.graph import AccessGraph, Edge, Grant, NodeKind
from auditor.roles.catalog import NAMED_SETS

_CAPABILITIES = {
    "notebook administration": "create, delete and reconfigure notebooks and change who may use them",
    "VM control": "run code on VMs and change their metadata or service account",
    "IAM administration": "change IAM policies, custom roles or service-account keys",
    "impersonation": "impersonate other service accounts",
}


@dataclass(frozen=True, slots=True)
class Escalation:
    """A path by which a principal reaches admin-level access it was not granted."""

    node: str
    principal: str
    """The principal as a reader knows it (`user:alice@x`, an email, `anyone who can trigger chatops.yml`)."""
    human: bool
    administrator: bool
    path: tuple[Edge, ...]
    permissions: tuple[str, ...]
    """Admin-level permissions gained, sorted."""
    holdings: tuple[str, ...]
    """What the last identity holds that gives them: `roles/notebooks.admin on projects/acme`."""
    sentence: str

    @property
    def first(self) -> Edge:
        return self.path[0]

    @property
    def conditional(self) -> bool:
        return any(step.condition is not None for step in self.path)


def is_administrator(graph: AccessGraph, node: str, administrators: Collection[str]) -> bool:
    known = graph.nodes[node]
    lowered = {a.lower() for a in administrators}
    return bool({node.lower(), known.member.lower(), known.label.lower()} & lowered)


def escalations(
    graph: AccessGraph, closure: Closure | None = None, administrators: Collection[str] = ()
) -> Iterator[Escalation]:
    closure = closure or Closure(graph)
    holdings_cache: dict[str, dict[tuple[str, str], Grant | None]] = {}

    def holdings(node: str) -> dict[tuple[str, str], Grant | None]:
        if node not in holdings_cache:
            holdings_cache[node] = graph.admin_holdings(node)
        return holdings_cache[node]

    for source in sorted(graph.edges):
        edges = graph.edges[source]
        if not edges or graph.nodes[source].kind is NodeKind.SCOPE or _service_agent(graph, source):
            continue  # Google's own service agents act for the platform, not for anyone who could escalate
        gained = _Gains(graph, source, {source, *closure.reach(source)}, holdings)
        by_binding: dict[str, list[Edge]] = {}
        for first in edges:
            by_binding.setdefault(first.address, []).append(first)
        for firsts in by_binding.values():
            # One finding per (principal, first edge): edges one binding gives are one edge, reported once, through
            # whichever of them reaches the most powerful identity.
            best: tuple[tuple[int, int], list[Edge], dict[tuple[str, str], Grant | None]] | None = None
            for first in firsts:
                for candidate in [first.target, *closure.reach(first.target)]:
                    if candidate == source:
                        continue
                    steps = [first, *closure.path(first.target, candidate)]
                    if any(step.target == source for step in steps):
                        continue
                    gain: dict[tuple[str, str], Grant | None] = {}
                    for step in steps:
                        gain.update(gained.of(step.target))
                    rank = (len({p for p, _ in gain}), -len(steps))
                    if gain and (best is None or rank > best[0]):
                        best = (rank, steps, gain)
            if best is None:
                continue
            _, steps, gain = best
            yield _escalation(graph, source, steps, gain, is_administrator(graph, source, administrators))


def _service_agent(graph: AccessGraph, node: str) -> bool:
    from auditor.identities import PrincipalClass, classify_email

    known = graph.nodes[node]
    return known.kind is NodeKind.SERVICE_ACCOUNT and classify_email(known.label) is PrincipalClass.SERVICE_AGENT


class _Gains:
    """What one source would gain at each node: the node's admin-level holdings it does not hold itself, leaving out
    power over identities it already acts as."""

    def __init__(
        self,
        graph: AccessGraph,
        source: str,
        acts: set[str],
        holdings: Callable[[str], dict[tuple[str, str], Grant | None]],
    ) -> None:
        self.graph, self.source, self.acts, self.holdings = graph, source, acts, holdings
        self.own: dict[tuple[str, str], bool] = {}

    def of(self, node: str) -> dict[tuple[str, str], Grant | None]:
        found = {}
        for (permission, resource), grant in self.holdings(node).items():
            if resource.startswith("serviceAccounts/") and resource.removeprefix("serviceAccounts/") in self.acts:
                continue  # power over an identity it already acts as is no new power
            key = (permission, resource)
            if key not in self.own:
                self.own[key] = self.graph.holding(self.source, (permission,), resource) is not None
            if not self.own[key]:
                found[key] = grant
        return found


def _escalation(
    graph: AccessGraph,
    source: str,
    steps: list[Edge],
    gain: dict[tuple[str, str], Grant | None],
    administrator: bool,
) -> Escalation:
    node = graph.nodes[source]
    permissions = tuple(sorted({p for p, _ in gain}))
    holdings: list[str] = []
    for (_, resource), grant in sorted(gain.items(), key=lambda item: item[0]):
        text = f"every permission on {resource}" if grant is None else f"{grant.role} on {_scope_words(resource)}"
        if text not in holdings:
            holdings.append(text)
    return Escalation(
        node=source,
        principal=node.label,
        human=node.human,
        administrator=administrator,
        path=tuple(steps),
        permissions=permissions,
        holdings=tuple(holdings),
        sentence=_sentence(graph, node.label, steps, holdings, permissions),
    )


def _scope_words(resource: str) -> str:
    if resource.startswith("projects/") and resource.count("/") == 1:
        return "project " + resource.removeprefix("projects/")
    if resource.startswith("serviceAccounts/"):
        return "service account " + resource.removeprefix("serviceAccounts/")
    return resource


def step_words(graph: AccessGraph, step: Edge) -> str:
    how = f"{step.technique} through {step.role}" if step.role else step.technique
    condition = f", only while {step.condition}" if step.condition else ""
    return f"{graph.nodes[step.target].label} ({how}, {step.location}{condition})"


def _sentence(
    graph: AccessGraph, who: str, steps: list[Edge], holdings: list[str], permissions: tuple[str, ...]
) -> str:
    chain = step_words(graph, steps[0])
    for step in steps[1:]:
        chain += f", then as {step_words(graph, step)}"
    last = graph.nodes[steps[-1].target]
    held = ", ".join(holdings[:3]) + (f" and {len(holdings) - 3} more" if len(holdings) > 3 else "")
    verb = "which holds" if last.kind is not NodeKind.SCOPE else "that is"
    can = [words for part, words in _CAPABILITIES.items() if set(NAMED_SETS["admin-level"][part]) & set(permissions)]
    return f"{who} can act as {chain}, {verb} {held}: so it can {'; '.join(can)}."
