"""The simulator's state file is checked against its JSON Schema: a clear error naming the place in the state and
what was expected, never a traceback in the simulator or a misleading connection error in `auditor drift`."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
import urllib.request

import pytest

from auditor.errors import InputReadError
from auditor.live.simulator import load_state, start_simulator
from tests.live.state_fixture import PROJECT, base_state, run_simulate, start_simulate_command


def with_change(path: tuple, value: object) -> dict:
    state = base_state()
    target = state
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return state


@pytest.mark.parametrize(
    ("path", "value", "where", "expected"),
    [
        (("latency_ms",), "fast", "latency_ms", "number"),
        (("latency_ms",), -1, "latency_ms", "minimum"),
        (("latency_ms",), 1e12, "latency_ms", "maximum"),
        (("pageSize",), "2", "pageSize", "integer"),
        (("pageSize",), 2.5, "pageSize", "integer"),
        (("projects", 0, "iamPolicy"), "x", "projects[0].iamPolicy", "object"),
        (
            ("projects", 0, "iamPolicy", "bindings", 0, "members"),
            "user:a@b.c",
            "projects[0].iamPolicy.bindings[0].members",
            "array",
        ),
        (("projects", 0, "serviceAccounts", 1, "email"), 3, "projects[0].serviceAccounts[1].email", "string"),
        (
            ("projects", 0, "workbenchInstances", 0, "gceSetup"),
            [],
            "projects[0].workbenchInstances[0].gceSetup",
            "object",
        ),
        (("projects", 0, "unreachableLocations"), "us-east1-b", "projects[0].unreachableLocations", "array"),
        (("faults",), [{"call": "projects.get", "code": "403"}], "faults[0].code", "integer"),
        (("faults",), [{"call": "projects.delete", "code": 500}], "faults[0].call", "projects.getIamPolicy"),
    ],
)
def test_a_state_that_breaks_the_schema_is_a_clear_error(tmp_path, path, value, where, expected):
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(with_change(path, value)))
    with pytest.raises(InputReadError) as error:
        load_state(state_file)
    message = str(error.value)
    assert str(state_file) in message
    assert where in message and expected in message, message
    # The in-process entry point refuses it the same way, before any server starts.
    with pytest.raises(InputReadError):
        start_simulator(with_change(path, value))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(tmp_path, constant):
    state_file = tmp_path / "state.json"
    state_file.write_text('{"latency_ms": ' + constant + ', "projects": []}')
    with pytest.raises(InputReadError, match="latency_ms"):
        load_state(state_file)


def test_the_bundled_and_test_states_are_valid(tmp_path):
    from auditor.examples import WORKBENCH_LIVE_STATE
    from tests.live.org_state import org_state

    load_state(WORKBENCH_LIVE_STATE)
    for state in (base_state(), org_state()):
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        load_state(state_file)


def test_simulate_command_reports_the_schema_error_without_a_traceback(tmp_path, repo_root):
    result = run_simulate(tmp_path, repo_root, json.dumps(with_change(("projects", 0, "iamPolicy"), "x")))
    assert result.returncode == 2
    assert "projects[0].iamPolicy" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("latency", ["inf", "nan", "1e12", "-5"])
def test_simulate_refuses_a_latency_that_is_not_a_sane_number(tmp_path, repo_root, latency):
    result = run_simulate(tmp_path, repo_root, json.dumps(base_state()), f"--latency-ms={latency}")
    assert result.returncode == 2, result.stdout
    assert "--latency-ms" in result.stderr and "Traceback" not in result.stderr


def test_sigterm_does_not_wait_for_calls_in_flight(tmp_path, repo_root):
    process = start_simulate_command(tmp_path, repo_root, latency_ms=60000)
    try:
        endpoints = json.loads(process.stdout.readline())
        url = f"{endpoints['api_endpoint']}/v3/projects/{PROJECT}"
        rest_call = threading.Thread(target=_ignore_errors, args=(urllib.request.urlopen, url), daemon=True)
        grpc_call = threading.Thread(target=_ignore_errors, args=(_list_accounts, endpoints), daemon=True)
        rest_call.start()
        grpc_call.start()
        time.sleep(1.0)  # both calls are now sleeping their latency inside the simulator
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0


def _ignore_errors(function, *args, **kwargs) -> None:  # noqa: ANN001
    with contextlib.suppress(Exception):  # the server going away is the point
        function(*args, **kwargs)


def _list_accounts(endpoints: dict) -> None:
    import grpc
    from google.cloud import iam_admin_v1
    from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

    channel = grpc.insecure_channel(endpoints["grpc_endpoint"])
    client = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel))
    client.list_service_accounts(request={"name": f"projects/{PROJECT}"}, timeout=70, retry=None)
