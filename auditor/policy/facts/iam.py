"""Facts of IAM grants: a principal (`member` subject), a binding and the role it grants (`binding` subject).

Roles are judged by what the role catalog says they grant (`RoleFacts`), looked up by name or, for a custom role
whose name is unresolved, by its declaring address; an unknown role is None, never "grants nothing".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, ClassVar

from auditor.identities import PrincipalClass, classify
from auditor.model import Binding, Principal, Unresolved
from auditor.policy.facts.base import Subject, is_unresolved, text
from auditor.policy.schema import SubjectKind
from auditor.roles.catalog import BASIC_ROLES, RoleFacts, RoleLookup, role_key

SENSITIVE_FACTS = (
    "notebook_admin",
    "notebook_create",
    "notebook_delete",
    "notebook_reconfigure",
    "notebook_set_iam",
    "act_as",
    "impersonate",
    "service_account_set_iam",
    "service_account_key_create",
    "project_set_iam",
    "vm_control",
    "project_metadata",
    "role_write",
    "basic_role",
    "admin_role",
)
"""Facts any of which makes a role worth a finding somewhere in the built-in set: an unresolved member holding
such a role, or a human holding an unresolved role, could fail another policy."""


@dataclass(frozen=True, slots=True)
class PrincipalFacts:
    """The `principal` variables: one member of a binding."""

    member: Annotated[str, "The IAM member as written (`user:ana@example.com`), or its shape or origin if unresolved."]
    kind: Annotated[
        str,
        "`user`, `group`, `serviceAccount`, `domain`, `allUsers`, `allAuthenticatedUsers`, `principal`, "
        "`principalSet`, `deleted`, `projectRole`, `unresolved` or `other`.",
    ]
    email: Annotated[str, "The email for users, groups and service accounts; empty otherwise."]
    human: Annotated[bool, "A person or group of people, including the public (user, group, domain, all*)."]
    public: Annotated[bool, "`allUsers` or `allAuthenticatedUsers`."]
    service_agent: Annotated[bool, "A Google-managed service agent (`service-N@gcp-sa-*...`)."]
    unresolved: Annotated[
        bool,
        "Nothing tells what the member is (an unset variable, an unknown outside value). A member whose kind is "
        "known from its shape (`user:{var.who}`) or that is a declared service account is not unresolved.",
    ]
    classification: Annotated[
        str,
        "`human`, `public`, `user_managed_service_account`, `default_compute_service_account`, `service_agent`, "
        "`unknown` or `other` (auditor/identities.py).",
    ]
    identity: Annotated[
        str,
        "The declaring address of the `google_service_account` the member is (`google_service_account.runtime`), "
        "whether or not its email resolves; empty otherwise.",
    ]
    user_managed_service_account: Annotated[
        bool,
        "A service account a team created: declared by a `google_service_account`, or "
        "`name@PROJECT.iam.gserviceaccount.com` that is not a service agent.",
    ]
    default_compute_service_account: Annotated[
        bool,
        "`PROJECT_NUMBER-compute@developer.gserviceaccount.com` (or `data.google_compute_default_service_account`), "
        "which carries roles/editor by default.",
    ]

    @classmethod
    def of(cls, principal: Principal) -> PrincipalFacts:
        classification = classify(principal)
        return cls(
            member=principal.member,
            kind=principal.kind.value,
            email=principal.email or "",
            human=principal.human,
            public=principal.public,
            service_agent=classification is PrincipalClass.SERVICE_AGENT,
            unresolved=classification is PrincipalClass.UNKNOWN,
            classification=classification.value,
            identity=principal.identity or "",
            user_managed_service_account=classification is PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT,
            default_compute_service_account=classification is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT,
        )


@dataclass(frozen=True, slots=True)
class BindingFacts:
    """The `binding` variables: one grant as declared."""

    address: Annotated[str, "Terraform address (or live resource name) of the binding."]
    role: Annotated[str, "The role as written; its shape or origin if unresolved."]
    role_unresolved: Annotated[bool, "The role could not be resolved statically."]
    scope_kind: Annotated[
        str, "`project`, `folder`, `organization`, `service_account`, `notebook_instance` or `workbench_instance`."
    ]
    scope: Annotated[str, "The resource the policy is attached to (project id, SA email, instance name)."]
    scope_unresolved: Annotated[bool, "The scope's name could not be resolved statically."]
    identity: Annotated[
        str, "For a binding on a service account declared in Terraform: its declaring address; empty otherwise."
    ]
    authority: Annotated[str, "`policy`, `binding`, `member`, `remove` or `live` (see GCP-NOTES.md)."]
    conditional: Annotated[bool, "The binding carries an IAM condition."]
    condition: Annotated[str, "The IAM condition's CEL expression; empty when unconditional."]
    members: Annotated[tuple[str, ...], "Every member of the binding, as in `principal.member`."]
    members_unresolved: Annotated[bool, "At least one member could not be resolved statically."]
    has_human_member: Annotated[bool, "At least one member is human (see `principal.human`)."]
    has_public_member: Annotated[bool, "At least one member is `allUsers` or `allAuthenticatedUsers`."]
    has_user_managed_service_account: Annotated[
        bool, "At least one member is a user-managed service account (see `principal.user_managed_service_account`)."
    ]
    unresolved: Annotated[bool, "Any part (role, members, scope, condition) could not be resolved."]
    unresolved_expressions: Annotated[tuple[str, ...], "The expression texts that could not be resolved."]

    @classmethod
    def of(cls, binding: Binding) -> BindingFacts:
        condition = binding.condition.expression if binding.condition else ""
        classes = [classify(p) for p in binding.members]
        members_unresolved = PrincipalClass.UNKNOWN in classes
        unresolved = list(binding.unresolved)
        for part in (binding.role, binding.scope.name, condition, *(m.member for m in binding.members)):
            if isinstance(part, Unresolved) and part.expression not in unresolved:
                unresolved.append(part.expression)
        return cls(
            address=binding.address,
            role=text(binding.role),
            role_unresolved=is_unresolved(binding.role),
            scope_kind=binding.scope.kind.value,
            scope=text(binding.scope.name),
            scope_unresolved=is_unresolved(binding.scope.name),
            identity=binding.identity or "",
            authority=binding.authority.value,
            conditional=binding.condition is not None,
            condition=text(condition),
            members=tuple(p.member for p in binding.members),
            members_unresolved=members_unresolved,
            has_human_member=any(p.human for p in binding.members),
            has_public_member=any(p.public for p in binding.members),
            has_user_managed_service_account=PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT in classes,
            unresolved=bool(unresolved) or members_unresolved,
            unresolved_expressions=tuple(unresolved),
        )


@dataclass(frozen=True, slots=True)
class RoleVariables:
    """The `role` variables: these fields plus every annotated fact of `RoleFacts`, read through (False when the
    catalog does not know the role)."""

    facts_from: ClassVar[type] = RoleFacts

    name: Annotated[str, "Same as `binding.role`."]
    known: Annotated[bool, "The role catalog knows the role (predefined, or a custom role declared in the inputs)."]
    unresolved: Annotated[
        bool,
        "The role could not be identified statically (a custom role declared in the inputs is identified by its "
        "address even when its name is unresolved).",
    ]
    permissions: Annotated[
        frozenset[str],
        "The permissions the catalog tracks: for a predefined role the security-relevant families (notebooks, "
        "service accounts, IAM, compute instances); for a declared custom role all of them. Empty when unknown.",
    ]
    sensitive: Annotated[
        bool,
        "Any fact a built-in policy checks or that escalates privilege (notebook create/delete/reconfigure/set IAM, "
        "actAs, impersonation, service-account IAM or keys, IAM admin, VM control, project metadata, role writes, "
        "basic or admin role): what makes an unresolved member worth reporting.",
    ]
    facts: RoleFacts | None
    """What the catalog knows; None when it does not know the role."""

    def __getattr__(self, name: str) -> bool:
        # Only called for names the dataclass lacks: the catalog's facts.
        if name in _FACT_NAMES:
            return bool(getattr(self.facts, name)) if self.facts is not None else False
        raise AttributeError(name)

    @classmethod
    def of(cls, name: str, unresolved: bool, facts: RoleFacts | None) -> RoleVariables:
        """`name`: the role as CEL reads it (`text()`); `unresolved`: whether the role is an unknown."""
        sensitive = facts is not None and any(getattr(facts, fact) for fact in SENSITIVE_FACTS)
        return cls(
            name=name,
            known=facts is not None,
            unresolved=unresolved and facts is None,
            permissions=facts.permissions if facts is not None else frozenset(),
            sensitive=sensitive or name in BASIC_ROLES,
            facts=facts,
        )


def _fact_names() -> frozenset[str]:
    from auditor.policy.facts.base import documented_fields

    return frozenset(name for name, _, _ in documented_fields(RoleFacts))


_FACT_NAMES = _fact_names()


def binding_activation(binding: Binding, roles: RoleLookup) -> dict[str, object]:
    """The `binding` and `role` facts, shared by the binding subject and all its member subjects."""
    key = role_key(binding.role)
    facts = roles(key) if key else None
    return {
        "binding": BindingFacts.of(binding),
        "role": _role_variables(text(binding.role), is_unresolved(binding.role), facts),
    }


@lru_cache(maxsize=8192)
def _principal_facts(principal: Principal) -> PrincipalFacts:
    """One `principal` facts object per distinct member (a group granted on every instance is one member): a
    `Principal` compares on everything its facts are made of (member, kind, identity)."""
    return PrincipalFacts.of(principal)


@lru_cache(maxsize=4096)
def _role_variables(name: str, unresolved: bool, facts: RoleFacts | None) -> RoleVariables:
    """One `role` facts object per distinct role: thousands of bindings name a handful of roles, and the engine
    reads a shared object's variables once (`policy.engine._Reader`). Keyed by exactly what the variables are made
    of (the role as CEL reads it, whether it is unknown, and its facts), never by the role value itself: two
    unknowns with one origin are equal values yet may read differently (their shapes)."""
    return RoleVariables.of(name, unresolved, facts)


def binding_subject(binding: Binding, shared: Mapping[str, object]) -> Subject:
    """The `binding` subject; `shared` is its `binding_activation`."""
    return Subject(
        kind=SubjectKind.BINDING,
        activation=dict(shared),
        resource=binding.address,
        location=binding.location,
        role=text(binding.role),
    )


def member_subjects(binding: Binding, shared: Mapping[str, object]) -> Iterator[Subject]:
    """One `member` subject per principal of the binding, sharing the binding's and role's facts."""
    for principal in binding.members:
        yield Subject(
            kind=SubjectKind.MEMBER,
            activation={"principal": _principal_facts(principal), **shared},
            resource=binding.address,
            location=binding.location,
            principal=principal.member,
            role=text(binding.role),
        )
