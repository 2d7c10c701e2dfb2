"""The reader, through the real client libraries, against the simulator: every object kind, pages, versions."""

from __future__ import annotations

import warnings

import pytest

from auditor.live import LiveProject, read_project
from auditor.model import DEFAULT_SERVICE_ACCOUNT, Accelerator, Authority, Location, ScopeKind, ShieldedVm
from tests.live.state_fixture import (
    CONDITION,
    NUMBER,
    PROJECT,
    ZONE_A,
    ZONE_B,
    base_state,
    endpoints_of,
    fast_retry,
    sa_email,
)


@pytest.fixture(scope="module")
def live(simulator) -> LiveProject:
    # Any warning while the clients parse the simulator's responses fails the read (issue 4: parse without warnings).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_project(PROJECT, endpoints=endpoints_of(simulator), retry=fast_retry())


def bindings(live: LiveProject, kind: ScopeKind, name: str) -> dict[tuple[str, str], list[str]]:
    return {
        b.key: [m.member for m in b.members]
        for b in live.intent.bindings
        if b.scope.kind is kind and b.scope.name == name
    }


def test_read_is_complete_and_made_no_mutating_call(live, simulator):
    assert live.errors == ()
    assert live.complete
    assert live.project_number == NUMBER
    assert simulator.mutations == ()


def test_project_iam_keeps_the_conditional_binding(live):
    assert bindings(live, ScopeKind.PROJECT, PROJECT) == {
        ("roles/notebooks.viewer", ""): ["group:ds@example.com"],
        ("roles/notebooks.admin", CONDITION["expression"]): ["user:oncall@example.com"],
    }
    admin = next(b for b in live.intent.bindings if b.role == "roles/notebooks.admin" and b.scope.name == PROJECT)
    assert admin.authority is Authority.LIVE
    assert admin.condition.title == CONDITION["title"]
    assert admin.address == f"projects/{PROJECT}"
    assert admin.location == Location(f"projects/{PROJECT}")


def test_service_accounts_over_several_pages_with_their_iam(live, simulator):
    # Page size 2 and 5 accounts: three ListServiceAccounts pages.
    assert simulator.calls["serviceAccounts.list"] >= 3
    emails = [a.email for a in live.intent.service_accounts]
    assert emails == [sa_email(f"nb-{i}") for i in range(5)]
    assert [a.disabled for a in live.intent.service_accounts] == [False, False, False, False, True]
    assert live.intent.service_accounts[0].display_name == "Notebook 0"
    for i in range(5):
        assert bindings(live, ScopeKind.SERVICE_ACCOUNT, sa_email(f"nb-{i}")) == {
            ("roles/iam.serviceAccountUser", ""): [f"user:u{i}@example.com"]
        }


def test_v1_instances_are_normalised_like_terraform(live):
    v1 = [i for i in live.intent.instances if i.generation == "v1"]
    assert [i.name for i in v1] == ["legacy-0", "legacy-1", "legacy-2"]
    first, second = v1[0], v1[1]
    assert first.zone == ZONE_A and first.project == PROJECT
    assert first.machine_type == "n1-standard-4"  # the API's full machineType URL, shortened
    assert first.service_account == sa_email("nb-0")
    assert second.service_account == DEFAULT_SERVICE_ACCOUNT  # empty serviceAccount = default compute SA
    assert first.accelerators == (Accelerator("NVIDIA_TESLA_T4", 1),)
    assert first.image == "deeplearning-platform-release/family:tf-latest-cpu"
    assert first.public_ip is False
    assert first.shielded_vm == ShieldedVm(secure_boot=True, vtpm=True, integrity_monitoring=False)
    assert first.metadata == {"proxy-mode": "service_account"}
    assert first.labels == {"team": "ds"}
    assert first.address == first.full_name == f"projects/{PROJECT}/locations/{ZONE_A}/instances/legacy-0"
    assert bindings(live, ScopeKind.NOTEBOOK_INSTANCE, first.address) == {
        ("roles/notebooks.viewer", ""): ["user:v1-0@example.com"]
    }


def test_v2_instances_are_normalised_like_terraform(live):
    v2 = {i.name: i for i in live.intent.instances if i.generation == "v2"}
    assert sorted(v2) == ["wb-0", "wb-1", "wb-2"]
    assert v2["wb-0"].service_account == DEFAULT_SERVICE_ACCOUNT
    assert v2["wb-0"].uses_default_service_account
    assert v2["wb-0"].public_ip is True
    assert v2["wb-0"].accelerators == ()
    assert v2["wb-0"].image == "cloud-notebooks-managed/family:workbench-instances"
    assert v2["wb-1"].service_account == sa_email("nb-1")
    assert v2["wb-1"].public_ip is False
    assert v2["wb-1"].accelerators == (Accelerator("NVIDIA_L4", 2),)
    assert v2["wb-1"].machine_type == "e2-standard-8"
    assert v2["wb-1"].zone == ZONE_B
    assert v2["wb-1"].metadata == {"idle-timeout-seconds": "3600"}
    assert v2["wb-1"].labels == {"env": "prod"}
    assert v2["wb-2"].image == "container:gcr.io/x/nb:v7"


def test_v2_instance_iam_with_condition(live):
    name = f"projects/{PROJECT}/locations/{ZONE_B}/instances/wb-1"
    assert bindings(live, ScopeKind.WORKBENCH_INSTANCE, name) == {
        ("roles/notebooks.admin", CONDITION["expression"]): ["user:wb-1@example.com"]
    }


def test_unknown_accelerator_enum_survives_as_its_number():
    """An accelerator newer than the installed proto arrives as a bare int; it must not crash or vanish."""
    from auditor.live.simulator import start_simulator

    state = base_state()
    state["projects"][0]["notebookInstances"][0]["acceleratorConfig"] = {"type": 99, "coreCount": "8"}
    with start_simulator(state) as simulator:
        live = read_project(PROJECT, endpoints=endpoints_of(simulator), retry=fast_retry())
    legacy = next(i for i in live.intent.instances if i.name == "legacy-0")
    assert legacy.accelerators == (Accelerator("99", 8),)


def test_policy_version_below_3_is_refused_when_conditions_exist(simulator):
    """The flattened call asks for version 0; the reader must never rely on it (it always asks for 3)."""
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import resourcemanager_v3

    client = resourcemanager_v3.ProjectsClient(
        credentials=AnonymousCredentials(), transport="rest", client_options={"api_endpoint": simulator.api_endpoint}
    )
    with pytest.raises(exceptions.BadRequest, match="conditional role bindings"):
        client.get_iam_policy(resource=f"projects/{PROJECT}")
    policy = client.get_iam_policy(
        request={"resource": f"projects/{PROJECT}", "options": {"requested_policy_version": 3}}
    )
    assert policy.version == 3
