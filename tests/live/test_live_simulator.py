"""The simulator itself: wire formats, read-only enforcement, the `auditor simulate` command, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from auditor.live.simulator import start_simulator
from tests.live.state_fixture import PROJECT, ZONE_B, base_state, run_simulate, start_simulate_command


def http(method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_rest_errors_use_the_google_envelope_with_error_info():
    state = base_state()
    state["faults"] = [{"call": "projects.get", "code": 403}]
    with start_simulator(state) as simulator:
        code, body = http("GET", f"{simulator.api_endpoint}/v3/projects/{PROJECT}")
    assert code == 403
    error = body["error"]
    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")
    [info] = error["details"]
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert info["reason"] == "IAM_PERMISSION_DENIED"
    assert info["metadata"]["permission"] == "resourcemanager.projects.get"


def test_grpc_errors_carry_error_info():
    import grpc
    from google.api_core import exceptions
    from google.cloud import iam_admin_v1
    from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

    state = base_state()
    state["faults"] = [{"call": "serviceAccounts.list", "code": 403}]
    with start_simulator(state) as simulator:
        iam = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=grpc.insecure_channel(simulator.grpc_endpoint)))
        with pytest.raises(exceptions.PermissionDenied) as denied:
            iam.list_service_accounts(request={"name": f"projects/{PROJECT}"})
    assert denied.value.reason == "IAM_PERMISSION_DENIED"
    assert denied.value.metadata["permission"] == "iam.serviceAccounts.list"


def test_rest_pages_carry_next_page_token(simulator):
    url = f"{simulator.api_endpoint}/v2/projects/{PROJECT}/locations/-/instances?pageSize=2"
    code, first = http("GET", url)
    assert code == 200 and len(first["instances"]) == 2 and first["nextPageToken"]
    code, second = http("GET", f"{url}&pageToken={first['nextPageToken']}")
    assert [i["name"].rpartition("/")[2] for i in second["instances"]] == ["wb-2"]
    assert "nextPageToken" not in second
    assert all("iamPolicy" not in i for i in first["instances"] + second["instances"])


def test_rest_policy_version_is_honoured_for_get_and_post(simulator):
    instance = f"projects/{PROJECT}/locations/{ZONE_B}/instances/wb-0"
    code, _ = http("GET", f"{simulator.api_endpoint}/v2/{instance}:getIamPolicy?options.requestedPolicyVersion=1")
    assert code == 400
    code, policy = http("GET", f"{simulator.api_endpoint}/v2/{instance}:getIamPolicy?options.requestedPolicyVersion=3")
    assert code == 200 and policy["version"] == 3 and policy["bindings"][0]["condition"]
    code, policy = http(
        "POST", f"{simulator.api_endpoint}/v2/{instance}:getIamPolicy", {"options": {"requestedPolicyVersion": 3}}
    )
    assert code == 200 and policy["version"] == 3


def test_mutating_calls_through_the_real_clients_are_refused_and_logged():
    import grpc
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import iam_admin_v1, notebooks_v1, notebooks_v2, resourcemanager_v3
    from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport
    from google.cloud.notebooks_v1.services.notebook_service.transports import NotebookServiceGrpcTransport
    from google.iam.v1 import policy_pb2

    with start_simulator(base_state()) as simulator:
        rest_options = {"api_endpoint": simulator.api_endpoint}
        projects = resourcemanager_v3.ProjectsClient(
            credentials=AnonymousCredentials(), transport="rest", client_options=rest_options
        )
        with pytest.raises(exceptions.MethodNotAllowed):
            projects.set_iam_policy(request={"resource": f"projects/{PROJECT}", "policy": policy_pb2.Policy()})

        notebooks = notebooks_v2.NotebookServiceClient(
            credentials=AnonymousCredentials(), transport="rest", client_options=rest_options
        )
        with pytest.raises(exceptions.MethodNotAllowed):
            notebooks.start_instance(request={"name": f"projects/{PROJECT}/locations/{ZONE_B}/instances/wb-0"})

        iam = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=grpc.insecure_channel(simulator.grpc_endpoint)))
        with pytest.raises(exceptions.MethodNotImplemented, match="read-only"):
            iam.delete_service_account(name=f"projects/{PROJECT}/serviceAccounts/nb-0@x")

        notebooks_v1_client = notebooks_v1.NotebookServiceClient(
            transport=NotebookServiceGrpcTransport(channel=grpc.insecure_channel(simulator.grpc_endpoint))
        )
        with pytest.raises(exceptions.MethodNotImplemented):
            notebooks_v1_client.set_iam_policy(
                request={"resource": f"projects/{PROJECT}/locations/x/instances/y", "policy": policy_pb2.Policy()}
            )

        assert [(m.protocol, m.method) for m in simulator.mutations] == [
            ("rest", "POST"),
            ("rest", "POST"),
            ("grpc", "DeleteServiceAccount"),
            ("grpc", "SetIamPolicy"),
        ]
        assert simulator.mutations[3].target == "/google.iam.v1.IAMPolicy/SetIamPolicy"
        assert simulator.mutations[0].target == f"/v3/projects/{PROJECT}:setIamPolicy"
        assert simulator.mutations[1].target.endswith("/instances/wb-0:start")


def test_simulate_command_prints_one_json_line_then_serves(tmp_path, repo_root):
    process = start_simulate_command(tmp_path, repo_root, latency_ms=1)
    try:
        line = process.stdout.readline()
        endpoints = json.loads(line)
        assert set(endpoints) == {"api_endpoint", "grpc_endpoint"}
        assert endpoints["api_endpoint"].startswith("http://127.0.0.1:")
        assert endpoints["grpc_endpoint"].startswith("127.0.0.1:")
        code, project = http("GET", f"{endpoints['api_endpoint']}/v3/projects/{PROJECT}")
        assert code == 200 and project["projectId"] == PROJECT
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out == ""  # nothing after the one line


def test_simulate_rejects_a_bad_state_file(tmp_path, repo_root):
    state = '{"projects": [], "faults": [{"call": "projects.delete", "code": 500}]}'
    result = run_simulate(tmp_path, repo_root, state)
    assert result.returncode == 2
    assert "projects.delete" in result.stderr and "Traceback" not in result.stderr


def test_static_path_never_imports_the_google_clients(repo_root):
    code = (
        "import sys, auditor.live, auditor.cli; auditor.cli.build_parser(); "
        "print([m for m in sys.modules if m.startswith(('google.cloud', 'grpc', 'google.api_core'))])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_notebooks_v2_is_also_served_over_grpc(simulator):
    import grpc
    from google.cloud import notebooks_v2
    from google.cloud.notebooks_v2.services.notebook_service.transports import NotebookServiceGrpcTransport
    from google.iam.v1 import iam_policy_pb2

    client = notebooks_v2.NotebookServiceClient(
        transport=NotebookServiceGrpcTransport(channel=grpc.insecure_channel(simulator.grpc_endpoint))
    )
    names = [i.name for i in client.list_instances(request={"parent": f"projects/{PROJECT}/locations/-"})]
    assert [n.rpartition("/")[2] for n in names] == ["wb-0", "wb-1", "wb-2"]
    policy = client.get_iam_policy(
        request=iam_policy_pb2.GetIamPolicyRequest(resource=names[0], options={"requested_policy_version": 3})
    )
    assert policy.bindings[0].role == "roles/notebooks.admin"


def test_non_loopback_endpoints_warn(capsys):
    from auditor.live import Endpoints
    from auditor.live.clients import is_loopback, make_clients

    assert is_loopback("http://127.0.0.1:8080") and is_loopback("localhost:9") and is_loopback("[::1]:50051")
    assert not is_loopback("http://10.1.2.3:8080") and not is_loopback("sim.example.com:443")
    make_clients(Endpoints("http://10.1.2.3:8080", "127.0.0.1:1")).close()  # builds clients; sends nothing
    err = capsys.readouterr().err
    assert "10.1.2.3" in err and "127.0.0.1:1" not in err
