"""`auditor drift` and `auditor demo` end to end: real clients, the in-process simulator, the bundled example."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.examples import WORKBENCH, WORKBENCH_LIVE_STATE


@pytest.fixture(scope="module")
def live_state() -> dict:
    return json.loads(Path(WORKBENCH_LIVE_STATE).read_text())


def run_drift(tmp_path: Path, state: dict, *extra: str, projects: tuple[str, ...] = ("acme-ml-platform",)):
    code, report, _ = run_drift_counting(tmp_path, state, *extra, projects=projects)
    return code, report


def run_drift_counting(
    tmp_path: Path, state: dict, *extra: str, projects: tuple[str, ...] = ("acme-ml-platform",)
) -> tuple[int, dict, dict[str, int]]:
    """`auditor drift` against the simulator; also returns how often each read call was answered."""
    from auditor.live.simulator import start_simulator

    simulator = start_simulator(state)
    output = tmp_path / "report.json"
    try:
        code = main(
            [
                "drift",
                str(WORKBENCH),
                *(argument for project in projects for argument in ("--project", project)),
                "--format",
                "json",
                "--output",
                str(output),
                "--api-endpoint",
                simulator.api_endpoint,
                "--grpc-endpoint",
                simulator.grpc_endpoint,
                *extra,
            ]
        )
        assert simulator.mutations == ()
        calls = simulator.calls
    finally:
        simulator.stop()
    return code, json.loads(output.read_text()), calls


def test_demo_reports_each_planted_drift(tmp_path: Path) -> None:
    output = tmp_path / "demo.json"
    assert main(["demo", "--format", "json", "--output", str(output)]) == 1
    report = json.loads(output.read_text())
    assert report["complete"] is True
    found = {(f["rule"], f.get("field"), f["principal"]) for f in report["findings"] if f["kind"] == "drift"}
    assert ("unmanaged-grant", None, "user:jdoe@acme.example") in found
    assert ("drift-instance-config", "service_account", None) in found
    assert ("drift-instance-config", "machine_type", None) in found
    assert ("unmanaged-instance", None, None) in found
    live_rules = {f["rule"] for f in report["findings"] if f["kind"] == "live"}
    assert {"human-notebook-admin", "default-compute-service-account"} <= live_rules


def test_declared_exception_is_suppressed_live_too(tmp_path: Path, live_state: dict) -> None:
    _, report = run_drift(tmp_path, live_state)
    chatops = [f for f in report["findings"] if f["rule"] == "service-account-admin-privileges"]
    assert chatops and all(f["suppressed"] for f in chatops)


def test_fault_that_never_clears_is_incomplete_and_exits_2(tmp_path: Path, live_state: dict) -> None:
    state = copy.deepcopy(live_state)
    state["faults"] = [{"call": "projects.getIamPolicy", "code": 503}]
    code, report = run_drift(tmp_path, state, "--retry-deadline", "2")
    assert code == 2
    assert report["complete"] is False
    assert any(e.get("call") == "projects.getIamPolicy" for e in report["errors"])
    # The project's IAM was not read: no grant there may be called missing.
    assert not [f for f in report["findings"] if f["rule"] == "drift-missing-member" and "project" in f["resource"]]


def test_denied_read_names_the_permission(tmp_path: Path, live_state: dict) -> None:
    state = copy.deepcopy(live_state)
    state["faults"] = [{"call": "serviceAccounts.list", "code": 403}]
    code, report = run_drift(tmp_path, state)
    assert code == 2
    (error,) = [e for e in report["errors"] if e.get("call") == "serviceAccounts.list"]
    assert error["permission"] == "iam.serviceAccounts.list"
    assert not [f for f in report["findings"] if f["rule"] == "drift-missing-member"]


def test_demo_sarif_validates_and_describes_drift_rules(tmp_path: Path, shared: Path) -> None:
    import jsonschema

    output = tmp_path / "demo.sarif"
    main(["demo", "--format", "sarif", "--output", str(output)])
    sarif = json.loads(output.read_text())
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    rule_ids = {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    result_ids = {result["ruleId"] for result in sarif["runs"][0]["results"]}
    assert {"unmanaged-grant", "drift-instance-config", "unmanaged-instance"} <= rule_ids
    assert result_ids <= rule_ids


def drift_summary(report: dict) -> set[tuple]:
    return {
        (f["rule"], f.get("field"), f["resource"], f["principal"], f["role"])
        for f in report["findings"]
        if f["kind"] == "drift"
    }


def test_unmanaged_instances_of_both_generations_are_both_reported(tmp_path: Path, live_state: dict) -> None:
    # A project mid-migration: a user-managed notebook (v1) next to a Workbench instance (v2), neither in Terraform.
    state = copy.deepcopy(live_state)
    state["projects"][0]["notebookInstances"] = [
        {
            "name": "projects/acme-ml-platform/locations/europe-west4-a/instances/legacy-v1",
            "machineType": "n1-standard-4",
            "serviceAccount": "",
            "state": "ACTIVE",
        }
    ]
    code, report = run_drift(tmp_path, state)
    assert code == 1 and report["complete"] is True
    unmanaged = {f["resource"] for f in report["findings"] if f["rule"] == "unmanaged-instance"}
    assert unmanaged == {
        "projects/acme-ml-platform/locations/europe-west4-a/instances/legacy-v1",
        "projects/acme-ml-platform/locations/europe-west4-a/instances/jdoe-scratch",
    }


def test_project_number_audits_like_the_project_id(tmp_path: Path, live_state: dict) -> None:
    _, by_id = run_drift(tmp_path, live_state)
    code, by_number = run_drift(tmp_path, live_state, projects=("123456789012",))
    assert code == 1 and by_number["complete"] is True
    assert drift_summary(by_number) == drift_summary(by_id)
    assert ("drift-instance-config", "service_account") in {(r, f) for r, f, *_ in drift_summary(by_number)}
    assert not [f for f in by_number["findings"] if "123456789012" in f["resource"]]


def test_a_repeated_project_is_read_once(tmp_path: Path, live_state: dict) -> None:
    _, report, calls = run_drift_counting(
        tmp_path,
        live_state,
        projects=("acme-ml-platform", "projects/acme-ml-platform", "123456789012", "acme-ml-platform"),
    )
    assert report["complete"] is True
    assert calls["projects.getIamPolicy"] == 1
    assert calls["v2.instances.list"] == 1


def test_a_page_token_that_never_advances_makes_the_report_incomplete(tmp_path: Path, live_state: dict) -> None:
    import threading

    state = copy.deepcopy(live_state)
    state["pageSize"] = 0
    outcome: list = []
    audit = threading.Thread(target=lambda: outcome.append(run_drift(tmp_path, state)), daemon=True)
    audit.start()
    audit.join(timeout=60)
    assert not audit.is_alive(), "auditor drift kept following a page token that never advances"
    [(code, report)] = outcome
    assert code == 2 and report["complete"] is False
    assert any("page token" in e["message"] for e in report["errors"])
