"""The `escalation` subjects the policy engine evaluates: one per (principal, first edge) of the access graph."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING

from auditor.access.closure import Closure
from auditor.access.escalation import Escalation, escalations
from auditor.access.graph import AccessGraph, Edge, NodeKind, build_graph, principal_key
from auditor.model import Binding, Intent, Principal
from auditor.policy.facts.base import Subject, text
from auditor.policy.facts.escalation import EscalationFacts
from auditor.policy.schema import SubjectKind
from auditor.roles.catalog import RoleLookup

if TYPE_CHECKING:
    from auditor.workflows.model import Workflow


def step_record(graph: AccessGraph, step: Edge) -> dict[str, str | None]:
    """One step as findings and `auditor access` JSON show it."""
    return {
        "from": graph.nodes[step.source].label,
        "to": graph.nodes[step.target].label,
        "technique": step.technique,
        "address": step.address,
        "location": str(step.location),
        "condition": step.condition,
    }


def escalation_subject(graph: AccessGraph, escalation: Escalation) -> Subject:
    last = escalation.path[-1]
    activation = {
        "escalation": EscalationFacts(
            principal=escalation.principal,
            human=escalation.human,
            administrator=escalation.administrator,
            technique=escalation.first.technique,
            target=graph.nodes[last.target].label,
            steps=len(escalation.path),
            conditional=escalation.conditional,
            permissions=escalation.permissions,
            permissions_count=len(escalation.permissions),
            sentence=escalation.sentence,
        )
    }
    return Subject(
        kind=SubjectKind.ESCALATION,
        activation=activation,
        resource=escalation.first.address,
        location=escalation.first.location,
        principal=escalation.principal,
        role=f"{escalation.first.technique}->{graph.nodes[escalation.first.target].label}",
        path=tuple(step_record(graph, step) for step in escalation.path),
        permissions=escalation.permissions,
    )


def escalation_subjects(
    intent: Intent,
    workflows: Sequence[Workflow] = (),
    administrators: Collection[str] = (),
    graph: AccessGraph | None = None,
) -> Iterator[Subject]:
    """`graph`: the intent's access graph when the caller already built it (one build serves both subject kinds)."""
    if not intent.bindings and not workflows:
        return
    if graph is None:
        graph = build_graph(intent, workflows)
    for escalation in escalations(graph, Closure(graph), administrators):
        yield escalation_subject(graph, escalation)


def effective_member_subjects(
    intent: Intent,
    roles: RoleLookup,
    workflows: Sequence[Workflow] = (),
    administrators: Collection[str] = (),
    graph: AccessGraph | None = None,
) -> Iterator[tuple[Subject, str]]:
    """Member subjects for principals that reach a binding's grant by acting as its member, with the path in words.

    The `principal` facts are the reaching principal's, the `binding` and `role` facts the grant's; the subject
    points at the first edge's binding (what to remove). Intended administrators are left out."""
    from auditor.access.escalation import is_administrator, step_words
    from auditor.policy.facts.iam import PrincipalFacts, binding_activation

    if not intent.bindings:
        return
    if graph is None:
        graph = build_graph(intent, workflows, roles=roles)
    closure = Closure(graph)
    holders: dict[str, list[Binding]] = {}
    for binding in intent.bindings:
        for member in binding.members:
            key = principal_key(member)
            if key is not None:
                holders.setdefault(key, []).append(binding)
    shared: dict[int, dict[str, object]] = {}
    for key, node in sorted(graph.nodes.items()):
        if node.kind is not NodeKind.PRINCIPAL or not graph.edges.get(key):
            continue
        if is_administrator(graph, key, administrators):
            continue
        principal = Principal.parse(node.member)
        facts = PrincipalFacts.of(principal)
        for holder in closure.reach(key):
            held = holders.get(holder)
            if not held:
                continue
            path = closure.path(key, holder)
            first = path[0]
            words = step_words(graph, first) + "".join(f", then as {step_words(graph, s)}" for s in path[1:])
            steps = tuple(step_record(graph, step) for step in path)
            for binding in held:
                if id(binding) not in shared:
                    shared[id(binding)] = binding_activation(binding, roles)
                yield (
                    Subject(
                        kind=SubjectKind.MEMBER,
                        activation={"principal": facts, **shared[id(binding)]},
                        resource=first.address,
                        location=first.location,
                        principal=principal.member,
                        role=f"{text(binding.role)} via {graph.nodes[holder].label}",
                        path=steps,
                    ),
                    f"It reaches it by acting as {words}.",
                )
