"""Role catalog: the permissions that matter here, per IAM role (see `catalog.py`)."""

from auditor.roles.catalog import (
    PERMISSION_GROUPS,
    SENSITIVE_PERMISSIONS,
    RoleFacts,
    facts_for,
    permissions_for,
    predefined_roles,
)

__all__ = [
    "PERMISSION_GROUPS",
    "SENSITIVE_PERMISSIONS",
    "RoleFacts",
    "facts_for",
    "permissions_for",
    "predefined_roles",
]
