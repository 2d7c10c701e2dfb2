"""IAM comparison: every live grant and every declared grant gets one verdict (messages are written elsewhere).

Each live grant is explained by exactly one of: declared as is; declared absent (`_member_remove`); declared only
under a condition (expansion); possibly declared (an unresolved declaration could be it); in a pair or a policy
Terraform owns (unexpected); or not managed at all. Each declared grant absent live is missing; each declaration
with unresolved parts gets one note. The semantics per Terraform authority are those of GCP-NOTES.md.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from auditor.drift import keys
from auditor.drift.keys import Canon, GrantKey, GrantPattern, ScopeKey
from auditor.model import Authority, Binding, Principal


class Verdict(enum.Enum):
    DECLARED = "declared"
    """A live grant as Terraform declares it: no finding."""
    POSSIBLY_DECLARED = "possibly-declared"
    """A live grant an unresolved declaration could be: named in that declaration's UNRESOLVED note."""
    STILL_PRESENT = "still-present"
    """Terraform removes it (`_member_remove`), yet it is live."""
    EXPANSION = "expansion"
    """Terraform grants it only under a condition; live it has none or another one."""
    UNEXPECTED = "unexpected"
    """In a (role, condition) pair or a whole policy that Terraform owns, which does not list it."""
    UNMANAGED = "unmanaged"
    """Live, and no Terraform resource claims it."""
    MISSING = "missing"
    """Declared, absent live."""
    UNRESOLVED = "unresolved"
    """A declaration with unresolved parts: not compared."""


@dataclass(frozen=True, slots=True)
class Grant:
    """One member of one binding, with its canonical parts (None where Terraform left them unresolved)."""

    binding: Binding
    principal: Principal
    pattern: GrantPattern

    @property
    def role(self) -> str | None:
        return self.pattern.role

    @property
    def condition(self) -> str:
        return self.pattern.condition or ""

    @property
    def scope(self) -> ScopeKey | None:
        return self.pattern.scope


@dataclass(frozen=True, slots=True)
class GrantVerdict:
    """One grant comparison's verdict, with the grant it is about and the binding a finding points at."""

    verdict: Verdict
    grant: Grant
    """The live grant; the declared one for MISSING; the first of the declaration for UNRESOLVED."""
    at: Binding
    """The resource the finding points at: the declaring binding, or the live binding for UNMANAGED."""
    declared_conditions: tuple[str, ...] = ()
    """EXPANSION: the conditions Terraform grants the role under."""
    candidates: tuple[str, ...] = ()
    """UNRESOLVED: live members the declaration could match."""


def grants(bindings: Iterable[Binding], canon: Canon) -> Iterator[Grant]:
    for binding in bindings:
        for principal in binding.members:
            yield Grant(binding, principal, canon.pattern(binding, principal))


def first(bindings: Iterable[Binding]) -> Binding:
    """The declaring resource a finding points at when several qualify: the first in source order."""
    return min(bindings, key=lambda b: (b.location.path, b.location.line or 0, b.address))


@dataclass(frozen=True, slots=True)
class Declared:
    """The declared grants, indexed once for the comparison."""

    exact: dict[GrantKey, list[Grant]]
    removes: dict[GrantKey, list[Grant]]
    conditions: dict[tuple[ScopeKey, str, str], set[str]]
    """(scope, role, member) -> the conditions it is declared under."""
    patterns: list[Grant]
    owners_of_scope: dict[ScopeKey, list[Binding]]
    """Scopes whose whole policy Terraform owns (`_iam_policy`)."""
    owners_of_pair: dict[tuple[ScopeKey, str, str], list[Binding]]
    """(scope, role, condition) pairs Terraform owns (`_iam_binding`)."""

    @classmethod
    def index(cls, bindings: Sequence[Binding], canon: Canon) -> Declared:
        declared = cls(defaultdict(list), defaultdict(list), defaultdict(set), [], defaultdict(list), defaultdict(list))
        for grant in grants(bindings, canon):
            key = grant.pattern.key
            if key is None:
                declared.patterns.append(grant)
            elif grant.binding.authority is Authority.REMOVE:
                declared.removes[key].append(grant)
            else:
                declared.exact[key].append(grant)
                declared.conditions[key.member_of_role].add(key.condition)
        for binding in bindings:
            scope, role, condition = canon.scope(binding.scope), keys.role(binding), keys.condition(binding)
            if scope is None:
                continue
            if binding.authority is Authority.POLICY:
                declared.owners_of_scope[scope].append(binding)
            elif binding.authority is Authority.BINDING and role is not None and condition is not None:
                declared.owners_of_pair[(scope, role, condition)].append(binding)
        return declared


def compare_grants(
    declared_bindings: Sequence[Binding],
    live_bindings: Iterable[Binding],
    canon: Canon,
    audited: Callable[[ScopeKey | None], bool],
    missing_instances: frozenset[ScopeKey],
) -> Iterator[GrantVerdict]:
    """One verdict per live grant on an audited scope, then per declared grant absent live, then per unresolved
    declaration. `missing_instances`: declared instances absent live, whose IAM is covered by their own finding."""
    declared = Declared.index([b for b in declared_bindings if b.authority is not Authority.LIVE], canon)
    seen: set[GrantKey] = set()
    candidates: dict[int, set[str]] = defaultdict(set)
    for grant in grants(live_bindings, canon):
        key = grant.pattern.key
        if key is None or not audited(key.scope):
            continue
        verdict = judge(grant, key, declared)
        match verdict.verdict:
            case Verdict.DECLARED:
                seen.add(key)
            case Verdict.EXPANSION:
                seen.update(GrantKey(key.scope, key.role, c, key.member) for c in verdict.declared_conditions)
            case Verdict.POSSIBLY_DECLARED:
                for pattern in declared.patterns:
                    if pattern.pattern.matches(key):
                        candidates[id(pattern.binding)].add(grant.principal.member)
        if verdict.verdict not in (Verdict.DECLARED, Verdict.POSSIBLY_DECLARED):
            yield verdict
    for key, declared_grants in declared.exact.items():
        if key not in seen and audited(key.scope) and key.scope not in missing_instances:
            yield GrantVerdict(Verdict.MISSING, declared_grants[0], first(g.binding for g in declared_grants))
    noted: set[int] = set()
    for pattern in declared.patterns:
        if id(pattern.binding) in noted or not audited(pattern.scope):
            continue
        noted.add(id(pattern.binding))
        found = tuple(sorted(candidates[id(pattern.binding)]))
        yield GrantVerdict(Verdict.UNRESOLVED, pattern, pattern.binding, candidates=found)


def judge(grant: Grant, key: GrantKey, declared: Declared) -> GrantVerdict:
    """The verdict on one resolved live grant."""
    if key in declared.exact:
        return GrantVerdict(Verdict.DECLARED, grant, grant.binding)
    if key in declared.removes:
        return GrantVerdict(Verdict.STILL_PRESENT, grant, first(g.binding for g in declared.removes[key]))
    conditions = declared.conditions.get(key.member_of_role, set())
    if conditions and "" not in conditions:
        conditional = [g for c in conditions for g in declared.exact[GrantKey(key.scope, key.role, c, key.member)]]
        return GrantVerdict(
            Verdict.EXPANSION,
            grant,
            first(g.binding for g in conditional),
            declared_conditions=tuple(sorted(conditions)),
        )
    if any(p.pattern.matches(key) for p in declared.patterns):
        return GrantVerdict(Verdict.POSSIBLY_DECLARED, grant, grant.binding)
    owners = declared.owners_of_pair.get(key.pair) or declared.owners_of_scope.get(key.scope)
    if owners:
        return GrantVerdict(Verdict.UNEXPECTED, grant, first(owners))
    return GrantVerdict(Verdict.UNMANAGED, grant, grant.binding)
