"""The read calls the auditor makes, by the names used in ReadErrors and the simulator's fault list (issue 4)."""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "projects.get": "resourcemanager.projects.get",
    "projects.getIamPolicy": "resourcemanager.projects.getIamPolicy",
    "serviceAccounts.list": "iam.serviceAccounts.list",
    "serviceAccounts.getIamPolicy": "iam.serviceAccounts.getIamPolicy",
    "v1.instances.list": "notebooks.instances.list",
    "v1.instances.getIamPolicy": "notebooks.instances.getIamPolicy",
    "v2.instances.list": "notebooks.instances.list",
    "v2.instances.getIamPolicy": "notebooks.instances.getIamPolicy",
    "locations.list": "notebooks.locations.list",
    "assets.list": "cloudasset.assets.listResource",
    "roles.list": "iam.roles.list",
    "organizations.getIamPolicy": "resourcemanager.organizations.getIamPolicy",
    "folders.list": "resourcemanager.folders.list",
    "folders.getIamPolicy": "resourcemanager.folders.getIamPolicy",
    "projects.list": "resourcemanager.projects.list",
}
"""Each read call and the IAM permission it needs, so a denied read can say what to grant."""

CALLS: tuple[str, ...] = tuple(PERMISSIONS)

READ_ONLY_ROLES = ("roles/iam.securityReviewer", "roles/notebooks.viewer", "roles/browser", "roles/cloudasset.viewer")
"""Predefined roles that together hold every permission above and nothing that writes."""
