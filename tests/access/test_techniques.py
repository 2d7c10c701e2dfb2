"""The technique catalog is data: valid against its schema, with every technique the issue names."""

from __future__ import annotations

import json

import jsonschema

from auditor.access.techniques import CATALOG_PATH, SCHEMA_PATH, Mechanism, catalog

ISSUE_IDS = {
    "sa-token",
    "sa-key",
    "sa-delegation",
    "sa-set-iam",
    "resource-set-iam",
    "role-update",
    "vm-create-as",
    "notebook-create-as",
    "vertex-job-as",
    "vm-metadata",
    "vm-login",
    "vm-set-sa",
    "notebook-use",
    "workflow-trigger",
    "group-member",
}


def test_catalog_is_valid_against_its_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.validators.validator_for(schema).check_schema(schema)
    jsonschema.validate(json.loads(CATALOG_PATH.read_text()), schema)


def test_schema_refuses_an_unknown_mechanism() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    document = json.loads(CATALOG_PATH.read_text())
    document["techniques"][0]["mechanism"] = "telepathy"
    assert list(jsonschema.validators.validator_for(schema)(schema).iter_errors(document))


def test_every_technique_of_the_issue_is_there_with_its_permissions() -> None:
    techniques = catalog()
    assert set(techniques) == ISSUE_IDS
    assert techniques["sa-token"].permissions == {
        "iam.serviceAccounts.getAccessToken",
        "iam.serviceAccounts.signBlob",
        "iam.serviceAccounts.signJwt",
    }
    assert techniques["vm-metadata"].act_as and techniques["vm-metadata"].mechanism is Mechanism.ON_INSTANCE
    assert "compute.projects.setCommonInstanceMetadata" in techniques["vm-metadata"].permissions
    assert techniques["vertex-job-as"].permissions == {"aiplatform.customJobs.create"}


def test_admin_level_is_a_named_set_of_the_role_catalog() -> None:
    from auditor.roles.catalog import ADMIN_LEVEL, NAMED_SETS

    parts = NAMED_SETS["admin-level"]
    assert set(parts) == {"notebook administration", "VM control", "IAM administration", "impersonation"}
    assert "compute.instances.osAdminLogin" in parts["VM control"]
    assert "iam.serviceAccounts.actAs" not in ADMIN_LEVEL
    assert "notebooks.instances.start" not in ADMIN_LEVEL
