"""Facts of the resources a policy judges one by one: notebook instances, service accounts, keys, IAM conflicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated

from auditor.identities import PrincipalClass, classify_account, unknown_account_text
from auditor.model import (
    DEFAULT_SERVICE_ACCOUNT,
    Conflict,
    NotebookInstance,
    ServiceAccount,
    ServiceAccountKey,
    Unresolved,
)
from auditor.policy.facts.base import Subject, is_unresolved, text
from auditor.policy.schema import SubjectKind

# API defaults when a shielded-VM field is not declared (google_workbench_instance and google_notebooks_instance
# alike): secure boot off, vTPM on, integrity monitoring on.
_SHIELDED_DEFAULTS = (
    ("secure_boot", "secure boot", False),
    ("vtpm", "vTPM", True),
    ("integrity_monitoring", "integrity monitoring", True),
)


def _string_map(values: Mapping[str, object]) -> Mapping[str, str]:
    return MappingProxyType({str(key): text(value) for key, value in values.items()})


@dataclass(frozen=True, slots=True)
class InstanceFacts:
    """The `instance` variables: one notebook instance of either generation."""

    address: Annotated[str, "Terraform address (or live resource name)."]
    name: Annotated[str, "Short instance name; its shape or origin if unresolved."]
    project: Annotated[str, "Project id; its shape or origin if unresolved."]
    zone: Annotated[str, "Zone; its shape or origin if unresolved."]
    generation: Annotated[str, "`v1` (google_notebooks_instance) or `v2` (google_workbench_instance)."]
    service_account: Annotated[
        str, "Email of the service account it runs as, `default` when none is set, its shape or origin if unresolved."
    ]
    service_account_text: Annotated[
        str,
        "The service account in words, for messages: the email, `the Compute Engine default service account (none "
        "set)`, or `<origin> (unresolved)`.",
    ]
    service_account_unresolved: Annotated[
        bool, "The service account's email could not be resolved statically (it may still be a known identity)."
    ]
    service_account_unknown: Annotated[
        bool,
        "Nothing tells which account it is: an unset variable or an unknown outside value (not a declared "
        "`google_service_account`, whose email may be unresolved but whose identity is known).",
    ]
    service_account_class: Annotated[
        str,
        "The account's classification, as `principal.classification`; no account set is "
        "`default_compute_service_account`.",
    ]
    service_account_identity: Annotated[
        str, "The declaring address of the `google_service_account` it runs as; empty when not a declared account."
    ]
    uses_default_service_account: Annotated[
        bool,
        "No service account set, any `NNN-compute@developer.gserviceaccount.com`, or the "
        "`google_compute_default_service_account` data source.",
    ]
    machine_type: Annotated[str, "Machine type; empty when not set, its shape or origin if unresolved."]
    machine_type_unresolved: Annotated[bool, "The machine type could not be resolved statically."]
    image: Annotated[str, "`project/family:F`, `project/image:I`, `container:REPO:TAG`, or empty."]
    accelerators: Annotated[tuple[str, ...], "`TYPE x COUNT` per accelerator."]
    public_ip: Annotated[bool, "Known to get an external IP (the default unless turned off)."]
    public_ip_unresolved: Annotated[bool, "The public-IP setting could not be resolved statically."]
    public_ip_text: Annotated[str, "`true`, `false`, or `<origin> (unresolved)`, for messages."]
    root_access: Annotated[bool, "Known to allow root: metadata `notebook-disable-root` is not the string `true`."]
    root_access_unresolved: Annotated[bool, "`notebook-disable-root` is set to an unresolved value."]
    disable_root_text: Annotated[
        str, "The `notebook-disable-root` metadata value, `not set`, or `<origin> (unresolved)`, for messages."
    ]
    secure_boot: Annotated[bool, "Shielded VM secure boot, with the API default (off) when not set."]
    vtpm: Annotated[bool, "Shielded VM vTPM, with the API default (on) when not set."]
    integrity_monitoring: Annotated[bool, "Shielded VM integrity monitoring, with the API default (on)."]
    shielded_disabled: Annotated[
        tuple[str, ...], "The shielded-VM features known to be off: `secure boot`, `vTPM`, `integrity monitoring`."
    ]
    shielded_unresolved: Annotated[tuple[str, ...], "The shielded-VM features whose setting is unresolved."]
    metadata: Annotated[Mapping[str, str], "Metadata as declared; unresolved values read as their shape or origin."]
    labels: Annotated[Mapping[str, str], "Labels as declared; unresolved values read as their shape or origin."]
    unresolved_expressions: Annotated[tuple[str, ...], "Every expression in the instance that was unresolved."]

    @classmethod
    def of(cls, instance: NotebookInstance) -> InstanceFacts:
        unresolved: list[str] = []

        def note(value: object) -> object:
            if isinstance(value, Unresolved) and value.expression not in unresolved:
                unresolved.append(value.expression)
            return value

        for value in (instance.name, instance.project, instance.zone, instance.machine_type, instance.image):
            note(value)
        for accelerator in instance.accelerators:
            note(accelerator.type)
            note(accelerator.core_count)
        for value in (*instance.metadata.values(), *instance.labels.values()):
            note(value)

        service_account = note(instance.service_account)
        public_ip = note(instance.public_ip)
        disable_root = note(instance.metadata.get("notebook-disable-root"))

        shielded: dict[str, bool] = {}
        shielded_disabled: list[str] = []
        shielded_unresolved: list[str] = []
        for field_name, label, default in _SHIELDED_DEFAULTS:
            declared = note(getattr(instance.shielded_vm, field_name))
            if isinstance(declared, Unresolved):
                shielded[field_name] = False  # unknown is never reported as "on"
                shielded_unresolved.append(label)
                continue
            effective = default if declared is None else bool(declared)
            shielded[field_name] = effective
            if not effective:
                shielded_disabled.append(label)

        account_class = classify_account(instance.service_account, instance.identity)
        if service_account in ("", DEFAULT_SERVICE_ACCOUNT):
            service_account_text = "the Compute Engine default service account (none set)"
        elif account_class is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT:
            service_account_text = f"{text(service_account)} (the Compute Engine default service account)"
        elif isinstance(service_account, Unresolved) and account_class is PrincipalClass.UNKNOWN:
            service_account_text = unknown_account_text(service_account)
        elif isinstance(service_account, Unresolved) and instance.identity:
            service_account_text = f"{instance.identity} ({text(service_account)})"
        else:
            service_account_text = text(service_account)
        if isinstance(public_ip, Unresolved):
            public_ip_text = f"{public_ip} (unresolved)"
        else:
            public_ip_text = "true" if public_ip else "false"
        if isinstance(disable_root, Unresolved):
            disable_root_text = f"{disable_root} (unresolved)"
        else:
            disable_root_text = "not set" if disable_root is None else repr(disable_root)

        return cls(
            address=instance.address,
            name=text(instance.name),
            project=text(instance.project),
            zone=text(instance.zone),
            generation=str(instance.generation),
            service_account=text(service_account),
            service_account_text=service_account_text,
            service_account_unresolved=isinstance(service_account, Unresolved),
            service_account_unknown=account_class is PrincipalClass.UNKNOWN,
            service_account_class=account_class.value,
            service_account_identity=instance.identity or "",
            uses_default_service_account=account_class is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT,
            machine_type=text(instance.machine_type),
            machine_type_unresolved=isinstance(instance.machine_type, Unresolved),
            image=text(instance.image),
            accelerators=tuple(f"{text(a.type)} x {text(a.core_count)}" for a in instance.accelerators),
            public_ip=public_ip is True,
            public_ip_unresolved=isinstance(public_ip, Unresolved),
            public_ip_text=public_ip_text,
            root_access=disable_root is None or (isinstance(disable_root, str) and disable_root.lower() != "true"),
            root_access_unresolved=isinstance(disable_root, Unresolved),
            disable_root_text=disable_root_text,
            shielded_disabled=tuple(shielded_disabled),
            shielded_unresolved=tuple(shielded_unresolved),
            metadata=_string_map(instance.metadata),
            labels=_string_map(instance.labels),
            unresolved_expressions=tuple(unresolved),
            **shielded,
        )


@dataclass(frozen=True, slots=True)
class ServiceAccountFacts:
    """The `service_account` variables."""

    address: Annotated[str, "Terraform address (or live resource name)."]
    email: Annotated[str, "Email; its shape or origin if unresolved."]
    email_unresolved: Annotated[bool, "The email could not be resolved statically."]
    project: Annotated[str, "Project id; its shape or origin if unresolved."]
    account_id: Annotated[str, "The account id (part before the @)."]
    display_name: Annotated[str, "Display name."]
    disabled: Annotated[bool, "The account is disabled."]
    default_compute: Annotated[bool, "The Compute Engine default service account."]
    identity: Annotated[str, "Its declaring address (its symbolic identity)."]

    @classmethod
    def of(cls, account: ServiceAccount) -> ServiceAccountFacts:
        return cls(
            address=account.address,
            email=text(account.email),
            email_unresolved=is_unresolved(account.email),
            project=text(account.project),
            account_id=text(account.account_id),
            display_name=text(account.display_name),
            disabled=account.disabled,
            default_compute=classify_account(account.email) is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT,
            identity=account.identity or "",
        )


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """The `key` variables: a user-managed service-account key."""

    address: Annotated[str, "Terraform address of the `google_service_account_key`."]
    service_account: Annotated[str, "The account the key belongs to; its shape or origin if unresolved."]
    service_account_unresolved: Annotated[bool, "The account could not be resolved statically."]

    @classmethod
    def of(cls, key: ServiceAccountKey) -> KeyFacts:
        return cls(
            address=key.address,
            service_account=text(key.service_account),
            service_account_unresolved=is_unresolved(key.service_account),
        )


@dataclass(frozen=True, slots=True)
class ConflictFacts:
    """The `conflict` variables: two IAM resources that overwrite each other."""

    kind: Annotated[
        str, "`policy_with_binding_or_member`, `binding_with_member`, `duplicate_binding` or `duplicate_policy`."
    ]
    scope_kind: Annotated[str, "As `binding.scope_kind`."]
    scope: Annotated[str, "The resource whose IAM is fought over."]
    role: Annotated[str, "The role fought over; empty for whole-policy conflicts."]
    address: Annotated[str, "The first Terraform address involved (where the finding is reported)."]
    addresses: Annotated[tuple[str, ...], "Every Terraform address involved."]
    description: Annotated[str, "What overwrites what, as the model describes it."]

    @classmethod
    def of(cls, conflict: Conflict) -> ConflictFacts:
        return cls(
            kind=conflict.kind.value,
            scope_kind=conflict.scope.kind.value,
            scope=text(conflict.scope.name),
            role=text(conflict.role),
            address=conflict.addresses[0] if conflict.addresses else str(conflict.scope),
            addresses=conflict.addresses,
            description=conflict.message,
        )


def instance_subject(instance: NotebookInstance) -> Subject:
    return Subject(SubjectKind.INSTANCE, {"instance": InstanceFacts.of(instance)}, instance.address, instance.location)


def service_account_subject(account: ServiceAccount) -> Subject:
    facts = ServiceAccountFacts.of(account)
    return Subject(SubjectKind.SERVICE_ACCOUNT, {"service_account": facts}, account.address, account.location)


def key_subject(key: ServiceAccountKey) -> Subject:
    return Subject(SubjectKind.KEY, {"key": KeyFacts.of(key)}, key.address, key.location)


def conflict_subject(conflict: Conflict) -> Subject:
    facts = ConflictFacts.of(conflict)
    return Subject(
        kind=SubjectKind.CONFLICT,
        activation={"conflict": facts},
        resource=facts.address,
        location=conflict.locations[0] if conflict.locations else None,
        role=facts.role or None,
    )
