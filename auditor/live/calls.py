"""The read calls the auditor makes, by the names used in ReadErrors and the simulator's fault list (issue 4)."""

from __future__ import annotations

import enum


class Call(enum.Enum):
    """One kind of read call; its value is the name in ReadErrors and the simulator's faults."""

    PROJECT = "projects.get"
    PROJECT_IAM = "projects.getIamPolicy"
    SERVICE_ACCOUNTS = "serviceAccounts.list"
    SERVICE_ACCOUNT_IAM = "serviceAccounts.getIamPolicy"
    V1_INSTANCES = "v1.instances.list"
    V1_INSTANCE_IAM = "v1.instances.getIamPolicy"
    V2_INSTANCES = "v2.instances.list"
    V2_INSTANCE_IAM = "v2.instances.getIamPolicy"
    LOCATIONS = "locations.list"
    ASSETS = "assets.list"
    ROLES = "roles.list"
    ORGANIZATION_IAM = "organizations.getIamPolicy"
    FOLDERS = "folders.list"
    FOLDER_IAM = "folders.getIamPolicy"
    PROJECTS = "projects.list"

    @property
    def permission(self) -> str:
        """The IAM permission the call needs, so a denied read can say what to grant."""
        return _PERMISSIONS[self]


_PERMISSIONS: dict[Call, str] = {
    Call.PROJECT: "resourcemanager.projects.get",
    Call.PROJECT_IAM: "resourcemanager.projects.getIamPolicy",
    Call.SERVICE_ACCOUNTS: "iam.serviceAccounts.list",
    Call.SERVICE_ACCOUNT_IAM: "iam.serviceAccounts.getIamPolicy",
    Call.V1_INSTANCES: "notebooks.instances.list",
    Call.V1_INSTANCE_IAM: "notebooks.instances.getIamPolicy",
    Call.V2_INSTANCES: "notebooks.instances.list",
    Call.V2_INSTANCE_IAM: "notebooks.instances.getIamPolicy",
    Call.LOCATIONS: "notebooks.locations.list",
    Call.ASSETS: "cloudasset.assets.listResource",
    Call.ROLES: "iam.roles.list",
    Call.ORGANIZATION_IAM: "resourcemanager.organizations.getIamPolicy",
    Call.FOLDERS: "resourcemanager.folders.list",
    Call.FOLDER_IAM: "resourcemanager.folders.getIamPolicy",
    Call.PROJECTS: "resourcemanager.projects.list",
}

PERMISSIONS: dict[str, str] = {call.value: call.permission for call in Call}
"""Call name -> permission, for code that has the name (the simulator's faults, ReadError.call)."""

CALLS: tuple[str, ...] = tuple(PERMISSIONS)

READ_ONLY_ROLES = ("roles/iam.securityReviewer", "roles/notebooks.viewer", "roles/browser", "roles/cloudasset.viewer")
"""Predefined roles that together hold every permission above and nothing that writes."""
