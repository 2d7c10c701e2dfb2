"""Canonical keys: what makes a declared and a live scope, grant or instance the same one.

Terraform and the API spell names differently (`projects/P` or `P`, a project number or its id, an account's
resource name or its email, emails in any case); each key is the one spelling both sides compare by. Keys are
hashable and totally ordered (by kind *value*: enum members themselves have no order), so sorting them never fails.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from auditor.hierarchy import project_of
from auditor.model import (
    Binding,
    NotebookInstance,
    Principal,
    PrincipalKind,
    Project,
    Scope,
    ScopeKind,
    Unresolved,
)

_EMAIL_KINDS = frozenset({PrincipalKind.USER, PrincipalKind.GROUP, PrincipalKind.SERVICE_ACCOUNT, PrincipalKind.DOMAIN})
_INSTANCE_KINDS = frozenset({ScopeKind.NOTEBOOK_INSTANCE, ScopeKind.WORKBENCH_INSTANCE})


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class ScopeKey:
    """A scope by kind and canonical name: a project id, `folders/N`, a lower-case email, an instance's full name."""

    kind: ScopeKind
    name: str

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ScopeKey):
            return NotImplemented
        return (self.kind.value, self.name) < (other.kind.value, other.name)

    @property
    def project(self) -> str | None:
        """The project the scope lives in, when its name says so."""
        return project_of(Scope(self.kind, self.name))

    @property
    def zone(self) -> str | None:
        """An instance's location id."""
        if self.kind in _INSTANCE_KINDS and "/locations/" in self.name:
            return self.name.partition("/locations/")[2].split("/", 1)[0]
        return None

    def describe(self) -> str:
        return f"{self.kind.value.replace('_', ' ')} {self.name}"


@dataclass(frozen=True, order=True, slots=True)
class GrantKey:
    """One member of one (role, condition) binding on one scope; condition "" is none."""

    scope: ScopeKey
    role: str
    condition: str
    member: str

    @property
    def member_of_role(self) -> tuple[ScopeKey, str, str]:
        """The grant without its condition: to find the same member granted under another condition."""
        return (self.scope, self.role, self.member)

    @property
    def pair(self) -> tuple[ScopeKey, str, str]:
        """The (role, condition) binding it belongs to, as `_iam_binding` claims it."""
        return (self.scope, self.role, self.condition)


@dataclass(frozen=True, slots=True)
class GrantPattern:
    """A declared grant with unresolved parts (None): it may turn out to be any grant that agrees on the rest."""

    scope: ScopeKey | None
    role: str | None
    condition: str | None
    member: str | None

    def matches(self, key: GrantKey) -> bool:
        mine = (self.scope, self.role, self.condition, self.member)
        theirs = (key.scope, key.role, key.condition, key.member)
        return all(part is None or part == other for part, other in zip(mine, theirs, strict=True))

    @property
    def key(self) -> GrantKey | None:
        """The key, when every part is resolved."""
        if self.scope is None or self.role is None or self.condition is None or self.member is None:
            return None
        return GrantKey(self.scope, self.role, self.condition, self.member)


class Canon:
    """Canonical keys for one comparison; knows the project numbers of the projects read, so that a project named
    by its number (which the API and Terraform both accept) compares as its id."""

    def __init__(self, projects: Iterable[Project] = ()) -> None:
        self._ids: Mapping[str, str] = {
            p.number: p.id for p in projects if p.number and isinstance(p.id, str) and p.id != p.number
        }

    def project(self, name: str) -> str:
        name = name.strip().removeprefix("projects/")
        return self._ids.get(name, name)

    def scope(self, scope: Scope) -> ScopeKey | None:
        """None when the name is unresolved."""
        if isinstance(scope.name, Unresolved):
            return None
        name = scope.name.strip()
        match scope.kind:
            case ScopeKind.PROJECT:
                name = self.project(name)
            case ScopeKind.SERVICE_ACCOUNT:
                # `google_service_account.x.name` is `projects/P/serviceAccounts/EMAIL`; the live side has the email.
                name = name.rpartition("/serviceAccounts/")[2].lower()
            case ScopeKind.FOLDER if name.isdigit():
                name = f"folders/{name}"
            case ScopeKind.ORGANIZATION if name.isdigit():
                name = f"organizations/{name}"
            case ScopeKind.NOTEBOOK_INSTANCE | ScopeKind.WORKBENCH_INSTANCE if name.startswith("projects/"):
                project, _, rest = name.removeprefix("projects/").partition("/")
                name = f"projects/{self.project(project)}/{rest}"
            case _:
                pass
        return ScopeKey(scope.kind, name)

    def instance(self, instance: NotebookInstance) -> ScopeKey | None:
        """The instance's scope key (its IAM is attached there); None when its name or place is unresolved."""
        if any(isinstance(part, Unresolved) for part in (instance.project, instance.zone, instance.name)):
            return None
        kind = ScopeKind.NOTEBOOK_INSTANCE if instance.generation == "v1" else ScopeKind.WORKBENCH_INSTANCE
        return self.scope(Scope(kind, instance.full_name))

    def pattern(self, binding: Binding, principal: Principal) -> GrantPattern:
        return GrantPattern(self.scope(binding.scope), role(binding), condition(binding), member(principal))


def member(principal: Principal) -> str | None:
    """IAM compares emails case-insensitively; None when the member is unresolved."""
    if principal.kind is PrincipalKind.UNRESOLVED or principal.value is not None:
        return None
    if principal.kind in _EMAIL_KINDS:
        prefix, _, rest = principal.member.partition(":")
        return f"{prefix}:{rest.lower()}"
    return principal.member


def condition(binding: Binding) -> str | None:
    """The condition expression ("" for none); titles and descriptions are cosmetic. None when unresolved."""
    if binding.condition is None:
        return ""
    expression = binding.condition.expression
    return None if isinstance(expression, Unresolved) else expression.strip()


def role(binding: Binding) -> str | None:
    return None if isinstance(binding.role, Unresolved) else binding.role.strip()
