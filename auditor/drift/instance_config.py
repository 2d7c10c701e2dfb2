"""One notebook instance's declared configuration against its live one, field by field.

Terraform and the two API generations spell values differently (a machine type URL or a bare name; the default
compute account as unset or `N-compute@developer.gserviceaccount.com`): each field is compared normalised. A field
Terraform does not set is not managed; a declared value that is unresolved is reported, never taken as equal.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import assert_never

from auditor.identities import PrincipalClass, classify_account
from auditor.model import DEFAULT_SERVICE_ACCOUNT, Accelerator, NotebookInstance, Unresolved

Comparable = str | bool | tuple[tuple[str, int], ...] | None


class Field(enum.Enum):
    MACHINE_TYPE = "machine_type"
    ACCELERATORS = "accelerators"
    IMAGE = "image"
    SERVICE_ACCOUNT = "service_account"
    PUBLIC_IP = "public_ip"
    SECURE_BOOT = "shielded_vm.secure_boot"
    VTPM = "shielded_vm.vtpm"
    INTEGRITY_MONITORING = "shielded_vm.integrity_monitoring"

    @property
    def label(self) -> str:
        """`shielded VM secure boot`, `machine type`: for messages."""
        return self.value.replace("shielded_vm.", "shielded VM ").replace("_", " ")


@dataclass(frozen=True, slots=True)
class FieldDrift:
    """A declared field whose live value differs, or whose declared value is unresolved (`unresolved`)."""

    field: Field
    declared: object
    live: object
    unresolved: bool = False


def field_drifts(declared: NotebookInstance, live: NotebookInstance) -> Iterator[FieldDrift]:
    for field, normalise in _NORMALISE.items():
        want, have = _value(declared, field), _value(live, field)
        if want is None:
            continue  # not declared: the API default applies and Terraform does not manage it
        if isinstance(want, Unresolved):
            yield FieldDrift(field, want, have, unresolved=True)
        elif have is None or isinstance(have, Unresolved) or normalise(want) != normalise(have):
            yield FieldDrift(field, want, have)


def show(value: object) -> str:
    """A field value as messages and the `declared`/`live` finding fields show it."""
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(f"{kind} x{count}" for kind, count in value) or "(none)"
    return str(value)


def _value(instance: NotebookInstance, field: Field) -> object:
    match field:
        case Field.MACHINE_TYPE:
            return instance.machine_type
        case Field.ACCELERATORS:
            return _accelerators(instance.accelerators)
        case Field.IMAGE:
            return instance.image
        case Field.SERVICE_ACCOUNT:
            return instance.service_account
        case Field.PUBLIC_IP:
            return instance.public_ip
        case Field.SECURE_BOOT:
            return instance.shielded_vm.secure_boot
        case Field.VTPM:
            return instance.shielded_vm.vtpm
        case Field.INTEGRITY_MONITORING:
            return instance.shielded_vm.integrity_monitoring
        case _:
            assert_never(field)


def _machine_type(value: object) -> Comparable:
    """v1 reports a URL (`.../zones/Z/machineTypes/n1-standard-4`), v2 and Terraform the bare name."""
    return str(value).rstrip("/").rpartition("/")[2].lower()


def _service_account(value: object) -> Comparable:
    """The default compute account may appear as unset (Terraform) or as `N-compute@developer...` (API)."""
    text = str(value).strip().lower()
    if classify_account(text) is PrincipalClass.DEFAULT_COMPUTE_SERVICE_ACCOUNT:
        return DEFAULT_SERVICE_ACCOUNT
    return text


def _accelerators(value: tuple[Accelerator, ...]) -> tuple[tuple[str, int], ...] | Unresolved:
    pairs = []
    for accelerator in value:
        kind, count = accelerator.type, accelerator.core_count
        if isinstance(kind, Unresolved):
            return kind
        if isinstance(count, Unresolved):
            return count
        pairs.append((kind.upper(), int(count)))
    return tuple(sorted(pairs))


def _same(value: object) -> Comparable:
    return value  # type: ignore[return-value]  # already canonical (accelerator tuples)


def _text(value: object) -> Comparable:
    return str(value).strip()


_NORMALISE: dict[Field, Callable[[object], Comparable]] = {
    Field.MACHINE_TYPE: _machine_type,
    Field.ACCELERATORS: _same,
    Field.IMAGE: _text,
    Field.SERVICE_ACCOUNT: _service_account,
    Field.PUBLIC_IP: bool,
    Field.SECURE_BOOT: bool,
    Field.VTPM: bool,
    Field.INTEGRITY_MONITORING: bool,
}
"""Every field, in report order, with how its values are made comparable."""
