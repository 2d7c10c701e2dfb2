"""A small organization for the Cloud Asset Inventory tests: two folders, four projects, grants at every level."""

from __future__ import annotations

import copy
from typing import Any

ORG = "123456789012"
ML_FOLDER = "folders/456"
FINANCE_FOLDER = "folders/789"
NOTEBOOK_ADMIN_PERMISSIONS = [
    "notebooks.instances.create",
    "notebooks.instances.delete",
    "notebooks.instances.update",
    "notebooks.instances.setIamPolicy",
    "notebooks.instances.get",
]


def _policy(role: str, *members: str) -> dict[str, Any]:
    return {"version": 1, "bindings": [{"role": role, "members": list(members)}]}


def _project(project_id: str, number: str, parent: str | None, *, v1: bool = False) -> dict[str, Any]:
    sa = f"runtime@{project_id}.iam.gserviceaccount.com"
    project: dict[str, Any] = {
        "projectId": project_id,
        "projectNumber": number,
        "iamPolicy": _policy("roles/notebooks.viewer", "group:ds@acme.example"),
        "serviceAccounts": [
            {"email": sa, "iamPolicy": _policy("roles/iam.serviceAccountUser", "group:ds@acme.example")}
        ],
        "workbenchInstances": [
            {
                "name": f"projects/{project_id}/locations/europe-west4-a/instances/wb",
                "gceSetup": {"machineType": "n1-standard-4", "serviceAccounts": [{"email": sa}]},
                "iamPolicy": _policy("roles/notebooks.viewer", "group:ds@acme.example"),
            }
        ],
        "computeInstances": [
            {
                "name": f"projects/{project_id}/zones/europe-west4-a/instances/wb",
                "serviceAccounts": [{"email": sa}],
                "metadata": {"items": [{"key": "proxy-mode", "value": "service_account"}]},
            }
        ],
    }
    if v1:
        project["notebookInstances"] = [
            {
                "name": f"projects/{project_id}/locations/europe-west4-b/instances/legacy",
                "machineType": "n1-standard-2",
                "serviceAccount": sa,
            }
        ]
    if parent:
        project["parent"] = parent
    return project


def org_state() -> dict[str, Any]:
    ml_a = _project("ml-a", "1001", ML_FOLDER, v1=True)
    ml_a["customRoles"] = [
        {
            "name": "projects/ml-a/roles/nbAdminLite",
            "title": "nb admin lite",
            "includedPermissions": NOTEBOOK_ADMIN_PERMISSIONS,
        }
    ]
    ml_a["iamPolicy"]["bindings"].append(
        {"role": "projects/ml-a/roles/nbAdminLite", "members": ["user:carol@acme.example"]}
    )
    return copy.deepcopy(
        {
            "assetPageSize": 3,
            "organization": {
                "id": ORG,
                "displayName": "acme.example",
                "iamPolicy": _policy("roles/notebooks.admin", "user:alice@acme.example"),
                "customRoles": [
                    {"name": f"organizations/{ORG}/roles/starter", "includedPermissions": ["notebooks.instances.start"]}
                ],
            },
            "folders": [
                {
                    "name": ML_FOLDER,
                    "parent": f"organizations/{ORG}",
                    "displayName": "ml",
                    "iamPolicy": _policy("roles/notebooks.admin", "user:bob@acme.example"),
                },
                {"name": FINANCE_FOLDER, "parent": f"organizations/{ORG}", "displayName": "finance"},
            ],
            "projects": [
                ml_a,
                _project("ml-b", "1002", ML_FOLDER),
                _project("fin-a", "2001", FINANCE_FOLDER),
                _project("loose", "3001", None),
            ],
        }
    )
