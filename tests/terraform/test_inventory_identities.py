"""`auditor inventory` (auditor.inventory/v1): unresolved values carry origin and shape, and service accounts,
bindings and instances name the identity they are about."""

from __future__ import annotations

import json
from pathlib import Path

from auditor.cli import main

MODULE_PATTERN = Path(__file__).resolve().parent.parent / "fixtures" / "terraform" / "module-pattern"


def test_inventory_names_identities_and_keeps_origin_and_shape(tmp_path: Path) -> None:
    output = tmp_path / "inventory.json"
    assert main(["inventory", str(MODULE_PATTERN), "--format", "json", "--output", str(output)]) == 0
    document = json.loads(output.read_text())
    assert document["schema"] == "auditor.inventory/v1"
    identity = "module.workbench.google_service_account.runtime"
    (account,) = document["service_accounts"]
    assert account["identity"] == identity
    assert account["email"] == {
        "unresolved": f"{identity}.email",
        "origin": f"{identity}.email",
        "shape": "wb-runtime@{var.project_id}.iam.gserviceaccount.com",
    }
    assert account["project"] == {"unresolved": "var.project_id", "origin": "var.project_id", "shape": None}
    (instance,) = document["instances"]
    assert instance["identity"] == identity
    bindings = {b["address"].rsplit(".", 1)[1]: b for b in document["bindings"]}
    assert bindings["users_act_as"]["identity"] == identity
    member = "serviceAccount:wb-runtime@{var.project_id}.iam.gserviceaccount.com"
    assert bindings["runtime_admin"]["members"] == [member]
    assert bindings["runtime_admin"]["member_identities"] == {member: identity}
    assert bindings["runtime_admin"]["scope"]["name"]["origin"] == "var.project_id"
