"""The simulated project the live tests read: every kind of object the reader handles, with known values."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = "wb-prod"
NUMBER = "123456789012"
ZONE_A = "europe-west4-a"
ZONE_B = "us-central1-b"

CONDITION = {
    "title": "business hours",
    "description": "only 9-17",
    "expression": "request.time.getHours('Europe/Amsterdam') < 17",
}


def sa_email(name: str) -> str:
    return f"{name}@{PROJECT}.iam.gserviceaccount.com"


def base_state() -> dict[str, Any]:
    accounts = [
        {
            "email": sa_email(f"nb-{i}"),
            "displayName": f"Notebook {i}",
            "disabled": i == 4,
            "iamPolicy": {
                "version": 1,
                "bindings": [{"role": "roles/iam.serviceAccountUser", "members": [f"user:u{i}@example.com"]}],
            },
        }
        for i in range(5)
    ]
    return copy.deepcopy(
        {
            "pageSize": 2,
            "projects": [
                {
                    "projectId": PROJECT,
                    "projectNumber": NUMBER,
                    "iamPolicy": {
                        "version": 3,
                        "bindings": [
                            {"role": "roles/notebooks.viewer", "members": ["group:ds@example.com"]},
                            {
                                "role": "roles/notebooks.admin",
                                "members": ["user:oncall@example.com"],
                                "condition": CONDITION,
                            },
                        ],
                    },
                    "serviceAccounts": accounts,
                    "notebookInstances": [
                        {
                            "name": f"projects/{PROJECT}/locations/{ZONE_A}/instances/legacy-{i}",
                            "machineType": (
                                f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/zones/{ZONE_A}"
                                "/machineTypes/n1-standard-4"
                            ),
                            "serviceAccount": sa_email("nb-0") if i == 0 else "",
                            "vmImage": {"project": "deeplearning-platform-release", "imageFamily": "tf-latest-cpu"},
                            "acceleratorConfig": {"type": "NVIDIA_TESLA_T4", "coreCount": "1"},
                            "noPublicIp": True,
                            "shieldedInstanceConfig": {"enableSecureBoot": True, "enableVtpm": True},
                            "metadata": {"proxy-mode": "service_account"},
                            "labels": {"team": "ds"},
                            "state": "ACTIVE",
                            "iamPolicy": {
                                "bindings": [
                                    {"role": "roles/notebooks.viewer", "members": [f"user:v1-{i}@example.com"]}
                                ]
                            },
                        }
                        for i in range(3)
                    ],
                    "workbenchInstances": [
                        {
                            "name": f"projects/{PROJECT}/locations/{ZONE_B}/instances/wb-{i}",
                            "gceSetup": {
                                "machineType": "e2-standard-8",
                                "serviceAccounts": [{"email": sa_email("nb-1")}] if i else [],
                                "acceleratorConfigs": [{"type": "NVIDIA_L4", "coreCount": "2"}] if i else [],
                                "disablePublicIp": i > 0,
                                "metadata": {"idle-timeout-seconds": "3600"},
                            }
                            | (
                                {"containerImage": {"repository": "gcr.io/x/nb", "tag": "v7"}}
                                if i == 2
                                else {
                                    "vmImage": {"project": "cloud-notebooks-managed", "family": "workbench-instances"}
                                }
                            ),
                            "labels": {"env": "prod"},
                            "state": "ACTIVE",
                            "iamPolicy": {
                                "version": 3,
                                "bindings": [
                                    {
                                        "role": "roles/notebooks.admin",
                                        "members": [f"user:wb-{i}@example.com"],
                                        "condition": CONDITION,
                                    }
                                ],
                            },
                        }
                        for i in range(3)
                    ],
                }
            ],
        }
    )


def fast_retry(deadline: float = 2.0, attempt_timeout: float = 2.0):  # noqa: ANN201 - RetryPolicy, imported lazily
    """Retries with millisecond backoff, so fault tests stay fast."""
    from auditor.live import RetryPolicy

    return RetryPolicy(initial_backoff=0.01, max_backoff=0.05, deadline=deadline, attempt_timeout=attempt_timeout)


def endpoints_of(simulator):  # noqa: ANN001, ANN201
    from auditor.live import Endpoints

    return Endpoints(simulator.api_endpoint, simulator.grpc_endpoint)


def start_simulate_command(tmp_path: Path, repo_root: Path, latency_ms: int) -> subprocess.Popen[str]:
    """`auditor simulate` on base_state() as a child process (its first stdout line is the endpoints JSON)."""
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(base_state()))
    return subprocess.Popen(
        [sys.executable, "-m", "auditor", "simulate", "--state", str(state_file), "--latency-ms", str(latency_ms)],
        cwd=repo_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_simulate(tmp_path: Path, repo_root: Path, state_text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`auditor simulate` on a state file holding `state_text`, for the cases where it must refuse to start."""
    state_file = tmp_path / "state.json"
    state_file.write_text(state_text)
    return subprocess.run(
        [sys.executable, "-m", "auditor", "simulate", "--state", str(state_file), *args],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=30,
    )
