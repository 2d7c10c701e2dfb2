"""Typed facts: what a policy condition can read, one frozen dataclass per subject kind.

Each subject kind names its facts classes by CEL top-level variable (`SUBJECTS`); the documented fields of those
classes ARE the variables (`VARIABLES`, docs/policy-variables.md). Adding a variable is adding an annotated field
to a facts class and setting it in its `of()`; adding a subject kind is one facts module, one `SubjectKind`, one
entry here and one case in the engine's `subjects()`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from auditor.policy.facts.base import Subject, Variable, text, variables_of
from auditor.policy.facts.escalation import EscalationFacts
from auditor.policy.facts.iam import (
    BindingFacts,
    PrincipalFacts,
    RoleVariables,
    binding_activation,
    binding_subject,
    member_subjects,
)
from auditor.policy.facts.resources import (
    ConflictFacts,
    InstanceFacts,
    KeyFacts,
    ServiceAccountFacts,
    conflict_subject,
    instance_subject,
    key_subject,
    service_account_subject,
)
from auditor.policy.facts.workflow import WorkflowFacts, workflow_subjects
from auditor.policy.schema import SubjectKind


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """What one subject kind exposes: its facts classes by top-level variable name, and a sentence for the docs."""

    tops: tuple[tuple[str, type], ...]
    intro: str


SUBJECTS: Mapping[SubjectKind, SubjectFacts] = {
    SubjectKind.MEMBER: SubjectFacts(
        (("principal", PrincipalFacts), ("binding", BindingFacts), ("role", RoleVariables)),
        "One principal of one IAM binding: a binding with three members is evaluated three times.",
    ),
    SubjectKind.BINDING: SubjectFacts(
        (("binding", BindingFacts), ("role", RoleVariables)),
        "One IAM binding as a whole (role, all members, scope), e.g. to judge unresolved parts.",
    ),
    SubjectKind.INSTANCE: SubjectFacts(
        (("instance", InstanceFacts),),
        "One notebook instance of either generation (`google_notebooks_instance`, `google_workbench_instance`).",
    ),
    SubjectKind.SERVICE_ACCOUNT: SubjectFacts(
        (("service_account", ServiceAccountFacts),),
        "One declared service account (`google_service_account`).",
    ),
    SubjectKind.KEY: SubjectFacts(
        (("key", KeyFacts),),
        "One user-managed service account key (`google_service_account_key`).",
    ),
    SubjectKind.CONFLICT: SubjectFacts(
        (("conflict", ConflictFacts),),
        "Terraform IAM resources that overwrite each other (from the model's conflicts).",
    ),
    SubjectKind.WORKFLOW: SubjectFacts(
        (("workflow", WorkflowFacts),),
        "One GitHub Actions workflow file (`.github/workflows/*.y*ml` of a scanned directory, or `--workflows DIR`), "
        "joined with the Terraform intent: the service account it authenticates as is looked up in the bindings. A "
        "policy that points at the line of the offending step names that line's variable in its file (`line:`).",
    ),
    SubjectKind.ESCALATION: SubjectFacts(
        (("escalation", EscalationFacts),),
        "One (principal, first edge) of the access graph built from the model (auditor/access): the path to the "
        "most powerful identity reachable through that edge and the admin-level permissions it gains.",
    ),
}


class _Variables(Mapping[SubjectKind, tuple[Variable, ...]]):
    """Generated on first use of a kind: reading the facts classes' type hints costs ~12 ms, which a run whose
    policies were validated before (see `policy.schema.known_valid`) never needs to spend."""

    def __init__(self) -> None:
        self._made: dict[SubjectKind, tuple[Variable, ...]] = {}

    def __getitem__(self, kind: SubjectKind) -> tuple[Variable, ...]:
        if kind not in self._made:
            tops = SUBJECTS[kind].tops
            self._made[kind] = tuple(variable for top, cls in tops for variable in variables_of(top, cls))
        return self._made[kind]

    def __iter__(self) -> Iterator[SubjectKind]:
        return iter(SUBJECTS)

    def __len__(self) -> int:
        return len(SUBJECTS)


VARIABLES: Mapping[SubjectKind, tuple[Variable, ...]] = _Variables()
"""The documented variables of each subject kind, generated from the facts classes."""


def variable_names(kind: SubjectKind) -> frozenset[str]:
    return frozenset(v.name for v in VARIABLES[kind])


_ZERO: Mapping[str, Any] = {"bool": False, "string": "", "int": 0}


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


__all__ = [
    "SUBJECTS",
    "VARIABLES",
    "BindingFacts",
    "ConflictFacts",
    "EscalationFacts",
    "InstanceFacts",
    "KeyFacts",
    "PrincipalFacts",
    "RoleVariables",
    "ServiceAccountFacts",
    "Subject",
    "SubjectFacts",
    "Variable",
    "WorkflowFacts",
    "binding_activation",
    "binding_subject",
    "conflict_subject",
    "instance_subject",
    "key_subject",
    "member_subjects",
    "sample_activation",
    "service_account_subject",
    "text",
    "variable_names",
    "workflow_subjects",
]
