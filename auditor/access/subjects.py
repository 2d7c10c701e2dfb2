"""The `escalation` subjects the policy engine evaluates: one per (principal, first edge) of the access graph."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING

from auditor.access.closure import Closure
from auditor.access.escalation import Escalation, escalations
from auditor.access.graph import AccessGraph, Edge, build_graph
from auditor.model import Intent
from auditor.policy.facts.base import Subject
from auditor.policy.facts.escalation import EscalationFacts
from auditor.policy.schema import SubjectKind

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
    intent: Intent, workflows: Sequence[Workflow] = (), administrators: Collection[str] = ()
) -> Iterator[Subject]:
    if not intent.bindings and not workflows:
        return
    graph = build_graph(intent, workflows)
    for escalation in escalations(graph, Closure(graph), administrators):
        yield escalation_subject(graph, escalation)
