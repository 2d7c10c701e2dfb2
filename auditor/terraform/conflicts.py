"""Terraform IAM resources that overwrite each other on every apply (GCP-NOTES.md, "IAM semantics in Terraform"):
an `_iam_policy` beside any other IAM resource on its scope, two `_iam_policy` on one scope, two `_iam_binding`
for one role, an `_iam_binding` and an `_iam_member` for one role."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from auditor.model import Authority, Binding, Conflict, ConflictKind, Unresolved


def find_conflicts(bindings: Iterable[Binding]) -> list[Conflict]:
    """Resource pairs that overwrite each other on every apply (GCP-NOTES.md, "IAM semantics in Terraform").

    Only pairs whose scope (and role, where it matters) are known can be compared; an unknown scope is
    reported through the binding's `unresolved` instead.
    """
    by_scope: dict[str, list[Binding]] = defaultdict(list)
    for binding in bindings:
        if isinstance(binding.scope.name, str):
            by_scope[str(binding.scope)].append(binding)

    conflicts: list[Conflict] = []
    seen: set[tuple[ConflictKind, str, str]] = set()

    def record(kind: ConflictKind, first: Binding, second: Binding, role: str | Unresolved | None, why: str) -> None:
        key = (kind, first.address, second.address)
        if first.address == second.address or key in seen:
            return
        seen.add(key)
        conflicts.append(
            Conflict(
                kind=kind,
                scope=first.scope,
                role=role,
                addresses=(first.address, second.address),
                locations=(first.location, second.location),
                message=f"{first.address} and {second.address} {why} on {first.scope}",
            )
        )

    for scope_bindings in by_scope.values():
        policies = _first_per_address(b for b in scope_bindings if b.authority is Authority.POLICY)
        grants = [b for b in scope_bindings if b.authority in (Authority.BINDING, Authority.MEMBER)]
        for i, policy in enumerate(policies):
            for other in policies[i + 1 :]:
                record(ConflictKind.DUPLICATE_POLICY, policy, other, None, "both set the whole IAM policy")
            for grant in grants:
                record(
                    ConflictKind.POLICY_WITH_BINDING_OR_MEMBER,
                    policy,
                    grant,
                    grant.role,
                    f"fight: the policy is authoritative and removes what the {grant.authority.value} adds",
                )
        known = [b for b in grants if isinstance(b.role, str)]
        role_bindings = [b for b in known if b.authority is Authority.BINDING]
        role_members = [b for b in known if b.authority is Authority.MEMBER]
        for i, binding in enumerate(role_bindings):
            for other in role_bindings[i + 1 :]:
                if binding.key == other.key and isinstance(
                    binding.condition.expression if binding.condition else "", str
                ):
                    record(
                        ConflictKind.DUPLICATE_BINDING,
                        binding,
                        other,
                        binding.role,
                        f"are both authoritative for {binding.role}",
                    )
            for member in role_members:
                # The provider documents binding + member on one role as unsupported, whatever the conditions.
                if member.role == binding.role:
                    record(
                        ConflictKind.BINDING_WITH_MEMBER,
                        binding,
                        member,
                        binding.role,
                        f"fight over {binding.role}: the binding removes the member's grant",
                    )
    return conflicts


def _first_per_address(bindings: Iterable[Binding]) -> list[Binding]:
    """One binding per resource: a `_policy` resource yields one binding per role but is one claim."""
    first: dict[str, Binding] = {}
    for binding in bindings:
        first.setdefault(binding.address, binding)
    return list(first.values())
