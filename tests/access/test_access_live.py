"""The live graph: an out-of-band TokenCreator grant that opens a path is a live privilege-escalation finding, and
`auditor access` answers from the live project with the drift endpoint options."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.examples import WORKBENCH, WORKBENCH_LIVE_STATE

CHATOPS = "notebook-chatops@acme-ml-platform.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def state_with_token_grant() -> dict:
    state = json.loads(Path(WORKBENCH_LIVE_STATE).read_text())
    state = copy.deepcopy(state)
    (project,) = state["projects"]
    (account,) = [a for a in project["serviceAccounts"] if a["email"] == CHATOPS]
    bindings = account.setdefault("iamPolicy", {}).setdefault("bindings", [])
    bindings.append({"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:mallory@acme.example"]})
    return state


def _with_simulator(state: dict, argv: list[str]) -> int:
    from auditor.live.simulator import start_simulator

    simulator = start_simulator(state)
    try:
        code = main([*argv, "--api-endpoint", simulator.api_endpoint, "--grpc-endpoint", simulator.grpc_endpoint])
        assert simulator.mutations == ()
    finally:
        simulator.stop()
    return code


def test_out_of_band_token_creator_is_a_live_escalation(tmp_path: Path, state_with_token_grant: dict) -> None:
    output = tmp_path / "report.json"
    argv = ["drift", str(WORKBENCH), "--project", "acme-ml-platform", "--format", "json", "--output", str(output)]
    _with_simulator(state_with_token_grant, argv)
    report = json.loads(output.read_text())
    escalations = [f for f in report["findings"] if f["rule"] == "privilege-escalation"]
    (mallory,) = [f for f in escalations if f["principal"] == "user:mallory@acme.example"]
    assert mallory["kind"] == "live" and mallory["severity"] == "critical"
    assert mallory["path"][0]["technique"] == "sa-token" and mallory["path"][0]["to"] == CHATOPS
    assert "notebooks.instances.delete" in mallory["permissions"]
    # The federated GitHub identity stands behind the reviewed start/stop workflow: no finding about it.
    assert all(not f["principal"].startswith("principalSet://") for f in escalations)


def test_access_reads_live_with_the_drift_options(
    tmp_path: Path, state_with_token_grant: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["access", "who-can", "notebooks.instances.delete", str(WORKBENCH), "--project", "acme-ml-platform"]
    assert _with_simulator(state_with_token_grant, [*argv, "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    principals = {r["principal"] for r in answer["principals"]}
    assert "user:mallory@acme.example" in principals and "user:jdoe@acme.example" in principals
