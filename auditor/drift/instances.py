"""Notebook instances: declared against live, by canonical name, into verdicts (messages in instance_findings).

A declared instance is matched, missing, or (when its name or place is unresolved) not compared; a live one no
declaration matches is unmanaged -- unless an unresolved declaration could be it. Only listings that succeeded
count: an unread location claims nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from auditor.drift.instance_config import FieldDrift, field_drifts
from auditor.drift.keys import Canon, ScopeKey
from auditor.model import NotebookInstance, Unresolved


class InstanceVerdict(enum.Enum):
    CONFIG = "config"
    """Matched live; one field differs (or is unresolved in Terraform)."""
    MISSING = "missing"
    UNMANAGED = "unmanaged"
    UNRESOLVED = "unresolved"
    """Its name or location is unresolved: not compared."""


@dataclass(frozen=True, slots=True)
class InstanceFinding:
    """One instance comparison's verdict, with the instance it is about and, for a changed field, what changed."""

    verdict: InstanceVerdict
    instance: NotebookInstance
    """The declared instance; the live one for UNMANAGED."""
    live: NotebookInstance | None = None
    """CONFIG: the live instance."""
    drift: FieldDrift | None = None
    """CONFIG: the field."""
    candidates: tuple[ScopeKey, ...] = ()
    """UNRESOLVED: the live instances it could be."""


def missing_instances(
    declared: Sequence[NotebookInstance], live: Sequence[NotebookInstance], canon: Canon, audited: Audit
) -> frozenset[ScopeKey]:
    """Declared instances absent live (where the listing succeeded): their IAM is covered by their MISSING verdict."""
    present = {canon.instance(i) for i in live}
    found = {canon.instance(i) for i in declared} - present
    return frozenset(k for k in found if k is not None and audited(k, listing=True))


Audit = Callable[..., bool]
"""`Audited`: (key, listing=...) -> whether the read covered it."""


def compare_instances(
    declared: Sequence[NotebookInstance], live: Sequence[NotebookInstance], canon: Canon, audited: Audit
) -> Iterator[InstanceFinding]:
    live_by_key: dict[ScopeKey, NotebookInstance] = {}
    for instance in sorted(live, key=lambda i: i.address):
        key = canon.instance(instance)
        if key is not None:
            live_by_key.setdefault(key, instance)

    matched: set[ScopeKey] = set()
    unresolved: list[NotebookInstance] = []
    for instance in sorted(declared, key=lambda i: (i.location.path, i.location.line or 0)):
        key = canon.instance(instance)
        if key is None:
            unresolved.append(instance)
            continue
        if not audited(key, listing=True) or key in matched:
            continue  # another project; or a duplicate declaration (the model reports conflicts)
        twin = live_by_key.get(key)
        if twin is None:
            yield InstanceFinding(InstanceVerdict.MISSING, instance)
            continue
        matched.add(key)
        for drift in field_drifts(instance, twin):
            yield InstanceFinding(InstanceVerdict.CONFIG, instance, twin, drift)

    possibly_declared: set[ScopeKey] = set()
    for instance in unresolved:
        could = tuple(sorted(key for key, twin in live_by_key.items() if _could_be(instance, twin)))
        possibly_declared.update(could)
        yield InstanceFinding(InstanceVerdict.UNRESOLVED, instance, candidates=could)

    for key in sorted(live_by_key):
        if key not in matched and key not in possibly_declared and audited(key, listing=True):
            yield InstanceFinding(InstanceVerdict.UNMANAGED, live_by_key[key])


def _could_be(declared: NotebookInstance, live: NotebookInstance) -> bool:
    pairs = ((declared.project, live.project), (declared.zone, live.zone), (declared.name, live.name))
    same_generation = declared.generation == live.generation
    return same_generation and all(isinstance(d, Unresolved) or d == v for d, v in pairs)
