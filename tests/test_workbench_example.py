"""The bundled example: its Terraform, and the drifted live state `auditor demo` serves.

The state must be what the real APIs return: every object parses with the official proto types (no unknown field)
and survives a round trip. Importing the Google libraries is fine here; the static path never does.
"""

from __future__ import annotations

import json
from pathlib import Path

import hcl2
import pytest

from auditor.drift import compare
from auditor.examples import WORKBENCH, WORKBENCH_LIVE_STATE
from auditor.model import (
    Accelerator,
    Authority,
    Binding,
    Condition,
    Intent,
    Location,
    NotebookInstance,
    Principal,
    Scope,
    ScopeKind,
    Severity,
    ShieldedVm,
)

PROJECT = "acme-ml-platform"
NUMBER = "123456789012"
STATE_ONLY_KEYS = {"iamPolicy", "serviceAccounts", "notebookInstances", "workbenchInstances", "projectNumber"}
"""Keys the simulator's state format adds to the API objects (issue 4, item 4)."""


@pytest.fixture(scope="module")
def state() -> dict:
    return json.loads(WORKBENCH_LIVE_STATE.read_text())


@pytest.fixture(scope="module")
def project(state: dict) -> dict:
    (project,) = state["projects"]
    return project


def _is_default(value: object) -> bool:
    return value in (False, 0, "", [], {}, None)


def assert_round_trip(original: object, parsed: object, path: str = "") -> None:
    """Every value in the state survives parsing (proto3 JSON may drop defaults); nothing is silently lost."""
    if isinstance(original, dict):
        assert isinstance(parsed, dict), path
        for key, value in original.items():
            if key not in parsed:
                assert _is_default(value), f"{path}.{key} was dropped by the official type"
                continue
            assert_round_trip(value, parsed[key], f"{path}.{key}")
    elif isinstance(original, list):
        assert isinstance(parsed, list) and len(parsed) == len(original), path
        for index, (a, b) in enumerate(zip(original, parsed, strict=True)):
            assert_round_trip(a, b, f"{path}[{index}]")
    else:
        assert original == parsed, f"{path}: {original!r} != {parsed!r}"


def parse_with(message_type, obj: dict) -> dict:
    message = message_type.from_json(json.dumps(obj), ignore_unknown_fields=False)
    return json.loads(message_type.to_json(message, use_integers_for_enums=False))


def test_project_parses_as_resourcemanager_v3_project(project: dict) -> None:
    from google.cloud import resourcemanager_v3

    fields = {k: v for k, v in project.items() if k not in STATE_ONLY_KEYS}
    assert_round_trip(fields, parse_with(resourcemanager_v3.Project, fields))
    assert project["name"] == f"projects/{project['projectNumber']}" == f"projects/{NUMBER}"
    assert project["projectId"] == PROJECT


def test_service_accounts_parse_as_iam_admin_v1(project: dict) -> None:
    from google.cloud import iam_admin_v1

    emails = set()
    for account in project["serviceAccounts"]:
        fields = {k: v for k, v in account.items() if k != "iamPolicy"}
        assert_round_trip(fields, parse_with(iam_admin_v1.ServiceAccount, fields))
        assert account["name"] == f"projects/{PROJECT}/serviceAccounts/{account['email']}"
        emails.add(account["email"])
    assert f"{NUMBER}-compute@developer.gserviceaccount.com" in emails
    assert {
        f"nb-forecasting@{PROJECT}.iam.gserviceaccount.com",
        f"nb-vision@{PROJECT}.iam.gserviceaccount.com",
    } < emails


def test_workbench_instances_parse_as_notebooks_v2(project: dict) -> None:
    from google.cloud import notebooks_v2

    assert project["notebookInstances"] == []  # v1 was shut down; the team runs v2 only
    names = []
    for instance in project["workbenchInstances"]:
        fields = {k: v for k, v in instance.items() if k != "iamPolicy"}
        parsed = parse_with(notebooks_v2.Instance, fields)
        assert_round_trip(fields, parsed)
        # Enum names (not bare integers) come back for every accelerator we use.
        for accelerator in parsed["gceSetup"].get("acceleratorConfigs", []):
            assert accelerator["type"] in notebooks_v2.AcceleratorConfig.AcceleratorType.__members__
        names.append(instance["name"].rpartition("/")[2])
    assert sorted(names) == ["jdoe-scratch", "nb-forecasting", "nb-vision"]


def test_every_iam_policy_parses_as_google_iam_v1_policy(project: dict) -> None:
    from google.iam.v1 import policy_pb2
    from google.protobuf import json_format

    policies = [project["iamPolicy"]]
    policies += [a["iamPolicy"] for a in project["serviceAccounts"]]
    policies += [i["iamPolicy"] for i in project["workbenchInstances"]]
    for policy in policies:
        parsed = json_format.ParseDict(policy, policy_pb2.Policy(), ignore_unknown_fields=False)
        assert_round_trip(policy, json_format.MessageToDict(parsed))


def test_faults_list_is_empty_for_the_demo(state: dict) -> None:
    assert state["faults"] == []


# --- the Terraform -----------------------------------------------------------------------------------------------


def resources(directory: Path) -> dict[tuple[str, str], dict]:
    found: dict[tuple[str, str], dict] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            document = hcl2.load(handle)
        for block in document.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    found[(kind.strip('"'), name.strip('"'))] = body  # python-hcl2 8 keeps label quotes
    return found


def test_terraform_parses_and_declares_the_setup() -> None:
    found = resources(WORKBENCH)
    assert set(found) == {
        ("google_service_account", "notebook"),
        ("google_service_account", "chatops"),
        ("google_workbench_instance", "notebook"),
        ("google_project_iam_member", "users_notebooks_viewer"),
        ("google_service_account_iam_member", "users_act_as_notebook"),
        ("google_project_iam_member", "chatops_notebooks_admin"),
        ("google_project_iam_member", "platform_notebooks_admin"),
        ("google_service_account_iam_member", "chatops_workload_identity"),
    }
    instance = found[("google_workbench_instance", "notebook")]
    (gce,) = instance["gce_setup"]
    assert gce["disable_public_ip"] is True
    assert gce["service_accounts"][0]["email"] == "${google_service_account.notebook[each.key].email}"
    (shielded,) = gce["shielded_instance_config"]
    assert all(shielded[k] is True for k in ("enable_secure_boot", "enable_vtpm", "enable_integrity_monitoring"))
    assert found[("google_project_iam_member", "chatops_notebooks_admin")]["role"] == '"roles/notebooks.admin"'


def test_repository_examples_directory_is_the_packaged_one(repo_root: Path) -> None:
    # One copy: `examples/workbench` (the README's path) is a symlink into the package, which the wheel ships.
    assert (repo_root / "examples" / "workbench").resolve() == WORKBENCH
    assert WORKBENCH_LIVE_STATE.is_file()


# --- the story the demo tells --------------------------------------------------------------------------------------

GROUP = "group:ml-notebook-users@acme.example"
ZONE = "europe-west4-a"


def sa_email(account_id: str) -> str:
    return f"{account_id}@{PROJECT}.iam.gserviceaccount.com"


def declared_intent() -> Intent:
    """What the Terraform above declares, written out by hand (the HCL evaluator is tested on its own)."""

    def member(address: str, scope: Scope, role: str, who: str, line: int) -> Binding:
        return Binding(scope, role, (Principal.parse(who),), Authority.MEMBER, address, Location("iam.tf", line))

    project = Scope(ScopeKind.PROJECT, PROJECT)
    bindings = [
        member("google_project_iam_member.users_notebooks_viewer", project, "roles/notebooks.viewer", GROUP, 2),
        member(
            "google_project_iam_member.chatops_notebooks_admin",
            project,
            "roles/notebooks.admin",
            f"serviceAccount:{sa_email('notebook-chatops')}",
            19,
        ),
        member(
            "google_service_account_iam_member.chatops_workload_identity",
            Scope(ScopeKind.SERVICE_ACCOUNT, f"projects/{PROJECT}/serviceAccounts/{sa_email('notebook-chatops')}"),
            "roles/iam.workloadIdentityUser",
            f"principalSet://iam.googleapis.com/projects/{NUMBER}/locations/global/workloadIdentityPools/github/"
            "attribute.repository/acme/ml-notebooks-chatops",
            26,
        ),
    ]
    instances = []
    for team, machine, accelerators in (
        ("forecasting", "e2-standard-8", ()),
        ("vision", "n1-standard-8", (Accelerator("NVIDIA_TESLA_T4", 1),)),
    ):
        bindings.append(
            member(
                f'google_service_account_iam_member.users_act_as_notebook["{team}"]',
                Scope(ScopeKind.SERVICE_ACCOUNT, f"projects/{PROJECT}/serviceAccounts/{sa_email('nb-' + team)}"),
                "roles/iam.serviceAccountUser",
                GROUP,
                10,
            )
        )
        instances.append(
            NotebookInstance(
                name=f"nb-{team}",
                project=PROJECT,
                zone=ZONE,
                generation="v2",
                address=f'google_workbench_instance.notebook["{team}"]',
                location=Location("instances.tf", 1),
                machine_type=machine,
                accelerators=accelerators,
                image="cloud-notebooks-managed/family:workbench-instances",
                service_account=sa_email(f"nb-{team}"),
                public_ip=False,
                shielded_vm=ShieldedVm(True, True, True),
            )
        )
    return Intent(bindings=tuple(bindings), instances=tuple(instances))


def live_intent(project: dict) -> Intent:
    """A minimal reading of the state file into the model, for this test only (the live reader is tested apart)."""

    def policy_bindings(scope: Scope, resource: str, policy: dict) -> list[Binding]:
        return [
            Binding(
                scope,
                entry["role"],
                tuple(Principal.parse(m) for m in entry["members"]),
                Authority.LIVE,
                resource,
                Location(resource),
                Condition(**entry["condition"]) if "condition" in entry else None,
            )
            for entry in policy.get("bindings", [])
        ]

    bindings = policy_bindings(
        Scope(ScopeKind.PROJECT, project["projectId"]), f"projects/{project['projectId']}", project["iamPolicy"]
    )
    for account in project["serviceAccounts"]:
        scope = Scope(ScopeKind.SERVICE_ACCOUNT, account["email"])
        bindings += policy_bindings(scope, account["name"], account["iamPolicy"])
    instances = []
    for obj in project["workbenchInstances"]:
        gce = obj["gceSetup"]
        _, project_id, _, zone, _, name = obj["name"].split("/")
        shielded = gce["shieldedInstanceConfig"]
        image = gce["vmImage"]
        instances.append(
            NotebookInstance(
                name=name,
                project=project_id,
                zone=zone,
                generation="v2",
                address=obj["name"],
                location=Location(obj["name"]),
                machine_type=gce["machineType"],
                accelerators=tuple(
                    Accelerator(a["type"], int(a["coreCount"])) for a in gce.get("acceleratorConfigs", [])
                ),
                image=f"{image['project']}/family:{image['family']}",
                service_account=gce["serviceAccounts"][0]["email"],
                public_ip=not gce.get("disablePublicIp", False),
                shielded_vm=ShieldedVm(
                    shielded["enableSecureBoot"], shielded["enableVtpm"], shielded["enableIntegrityMonitoring"]
                ),
                metadata=gce.get("metadata", {}),
            )
        )
    return Intent(bindings=tuple(bindings), instances=tuple(instances))


def human_notebook_admin(binding: Binding, principal: Principal) -> Severity | None:
    """Stands in for the policy engine's `human-notebook-admin`."""
    return Severity.HIGH if principal.human and binding.role == "roles/notebooks.admin" else None


def example_intent() -> Intent:
    """The real Terraform loader's reading of the example when it is there; the hand-written one otherwise."""
    import auditor.terraform

    load_intent = getattr(auditor.terraform, "load_intent", None)
    if load_intent is None:
        return declared_intent()
    intent = load_intent([WORKBENCH])
    assert not intent.errors and not intent.conflicts
    return intent


def test_the_demo_state_drifts_exactly_as_the_readme_says(project: dict) -> None:
    findings = compare(example_intent(), live_intent(project), live_violations=human_notebook_admin)
    got = {(f.rule, f.severity, f.principal or (f.drift.field if f.drift else None) or f.resource) for f in findings}
    assert got == {
        ("unmanaged-grant", Severity.HIGH, "user:jdoe@acme.example"),
        ("drift-instance-config", Severity.HIGH, "service_account"),
        ("drift-instance-config", Severity.MEDIUM, "machine_type"),
        ("unmanaged-instance", Severity.MEDIUM, f"projects/{PROJECT}/locations/{ZONE}/instances/jdoe-scratch"),
        (
            "unmanaged-grant",
            Severity.INFO,
            f"serviceAccount:service-{NUMBER}@gcp-sa-notebooks.iam.gserviceaccount.com",
        ),
        (
            "unmanaged-grant",
            Severity.INFO,
            f"serviceAccount:service-{NUMBER}@compute-system.iam.gserviceaccount.com",
        ),
    }
    recreated = next(f for f in findings if (f.drift.field if f.drift else None) == "service_account")
    assert recreated.resource == 'google_workbench_instance.notebook["vision"]'
    assert recreated.drift.live == f"{NUMBER}-compute@developer.gserviceaccount.com"
    resized = next(f for f in findings if (f.drift.field if f.drift else None) == "machine_type")
    assert (resized.drift.declared, resized.drift.live) == ("e2-standard-8", "e2-standard-32")
