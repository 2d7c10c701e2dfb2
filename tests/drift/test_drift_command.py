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


def run_drift(tmp_path: Path, state: dict, *extra: str) -> tuple[int, dict]:
    from auditor.live.simulator import start_simulator

    simulator = start_simulator(state)
    output = tmp_path / "report.json"
    try:
        code = main(
            [
                "drift",
                str(WORKBENCH),
                "--project",
                "acme-ml-platform",
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
    finally:
        simulator.stop()
    return code, json.loads(output.read_text())


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
