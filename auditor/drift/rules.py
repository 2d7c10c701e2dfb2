"""The drift rule ids: interfaces (README, `auditor.toml` ignores, baselines). Their titles, severities and
remediations live in the one rule registry (`policies/<id>.yaml`, `kind: drift`)."""

from __future__ import annotations

import enum
from typing import Protocol, TypedDict, Unpack

from auditor.model import DriftDetail, Finding, FindingKind, Location, Severity


class DriftRule(enum.Enum):
    UNEXPECTED_MEMBER = "drift-unexpected-member"
    """A live member in a (role, condition) pair, or a whole policy, that Terraform owns."""
    UNMANAGED_GRANT = "unmanaged-grant"
    MISSING_MEMBER = "drift-missing-member"
    PRIVILEGE_EXPANSION = "drift-privilege-expansion"
    INSTANCE_CONFIG = "drift-instance-config"
    UNMANAGED_INSTANCE = "unmanaged-instance"
    MISSING_INSTANCE = "drift-missing-instance"
    CUSTOM_ROLE = "drift-custom-role"
    """A declared custom role whose live permissions differ, or that is missing live (`custom_roles`)."""
    UNRESOLVED = "drift-unresolved"
    """Not a drift: a declared value that could not be resolved, so the comparison was not made (never a silent
    pass)."""


UNEXPECTED_MEMBER = DriftRule.UNEXPECTED_MEMBER.value
UNMANAGED_GRANT = DriftRule.UNMANAGED_GRANT.value
MISSING_MEMBER = DriftRule.MISSING_MEMBER.value
PRIVILEGE_EXPANSION = DriftRule.PRIVILEGE_EXPANSION.value
INSTANCE_CONFIG = DriftRule.INSTANCE_CONFIG.value
UNMANAGED_INSTANCE = DriftRule.UNMANAGED_INSTANCE.value
MISSING_INSTANCE = DriftRule.MISSING_INSTANCE.value
CUSTOM_ROLE = DriftRule.CUSTOM_ROLE.value
UNRESOLVED = DriftRule.UNRESOLVED.value


class Located(Protocol):
    """What a drift finding points at: a declared resource (binding, instance, custom role), or a live one."""

    @property
    def address(self) -> str: ...

    @property
    def location(self) -> Location: ...


class FindingDetail(TypedDict, total=False):
    """The optional parts of a drift finding, as `Finding` names them."""

    principal: str | None
    role: str | None
    project: str | None
    drift: DriftDetail | None
    remediation: str


def drift_finding(rule: str, severity: Severity, at: Located, message: str, **detail: Unpack[FindingDetail]) -> Finding:
    """A finding of kind `drift` on `at`'s address, at its location."""
    return Finding(rule, severity, FindingKind.DRIFT, at.address, message, at.location, **detail)
