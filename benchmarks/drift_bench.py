"""Live-read benchmark (issue 4): 1 project, 300 service accounts, 40 instances (20 v1, 20 v2) in 4 locations,
50 ms injected latency per call, read at concurrency 1 and at the default, side by side in one run.

Run from the repository root: `python benchmarks/drift_bench.py [--latency-ms 50] [--output FILE]`.
The round-trip bound is (longest chain of dependent calls + calls / concurrency) x latency.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.live import Endpoints, read_project  # noqa: E402
from auditor.live.reader import PAGE_SIZE  # noqa: E402
from auditor.live.simulator import start_simulator  # noqa: E402

PROJECT = "bench-project"
ZONES = ("us-central1-a", "us-east1-b", "europe-west4-a", "asia-east1-c")
ACCOUNTS = 300
INSTANCES = 40


def generate_state() -> dict[str, Any]:
    def policy(member: str) -> dict[str, Any]:
        return {"version": 1, "bindings": [{"role": "roles/iam.serviceAccountUser", "members": [member]}]}

    accounts = [
        {
            "email": f"sa-{i:03d}@{PROJECT}.iam.gserviceaccount.com",
            "displayName": f"SA {i}",
            "iamPolicy": policy(f"user:u{i}@example.com"),
        }
        for i in range(ACCOUNTS)
    ]
    v1, v2 = [], []
    for i in range(INSTANCES):
        zone = ZONES[i % len(ZONES)]
        name = f"projects/{PROJECT}/locations/{zone}/instances/nb-{i:02d}"
        sa = accounts[i]["email"]
        if i % 2:
            v2.append(
                {
                    "name": name,
                    "gceSetup": {"machineType": "e2-standard-4", "serviceAccounts": [{"email": sa}]},
                    "iamPolicy": policy(f"user:o{i}@example.com"),
                }
            )
        else:
            v1.append(
                {
                    "name": name,
                    "machineType": "n1-standard-4",
                    "serviceAccount": sa,
                    "iamPolicy": policy(f"user:o{i}@example.com"),
                }
            )
    return {
        "projects": [
            {
                "projectId": PROJECT,
                "projectNumber": "999999999999",
                "iamPolicy": {
                    "version": 1,
                    "bindings": [{"role": "roles/notebooks.viewer", "members": ["group:ds@example.com"]}],
                },
                "serviceAccounts": accounts,
                "notebookInstances": v1,
                "workbenchInstances": v2,
                "locations": list(ZONES),
            }
        ]
    }


def expected_calls() -> tuple[int, int]:
    """(calls, longest chain of dependent calls) the reader needs for the generated state."""
    sa_pages = math.ceil(ACCOUNTS / PAGE_SIZE)
    calls = 1 + 1 + sa_pages + ACCOUNTS + 1 + len(ZONES) + INSTANCES // 2 + 1 + INSTANCES // 2
    chain = max(sa_pages + 1, 3, 2)  # SA pages then IAM; locations -> v1 list -> IAM; v2 list -> IAM
    return calls, chain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "live-read.txt")
    args = parser.parse_args()

    calls, chain = expected_calls()
    latency = args.latency_ms / 1000
    lines = [
        f"live read benchmark: 1 project, {ACCOUNTS} service accounts, {INSTANCES} instances (half v1, half v2) "
        f"in {len(ZONES)} locations, {args.latency_ms:g} ms injected latency per call, {calls} calls, "
        f"longest dependent chain {chain} calls",
    ]
    timings = {}
    with start_simulator(generate_state(), latency_ms=args.latency_ms) as simulator:
        endpoints = Endpoints(simulator.api_endpoint, simulator.grpc_endpoint)
        read_project(PROJECT, endpoints=endpoints, concurrency=16)  # warm imports and connections
        for concurrency in (1, 16):
            before = sum(simulator.calls.values())
            started = time.perf_counter()
            live = read_project(PROJECT, endpoints=endpoints, concurrency=concurrency)
            elapsed = time.perf_counter() - started
            made = sum(simulator.calls.values()) - before
            assert live.complete, live.errors
            assert len(live.intent.service_accounts) == ACCOUNTS and len(live.intent.instances) == INSTANCES
            bound = (chain + calls / concurrency) * latency
            timings[concurrency] = elapsed
            lines.append(
                f"concurrency {concurrency:>2}: {elapsed:6.2f} s  calls made {made}  "
                f"round-trip bound {bound:5.2f} s  ({elapsed / bound:.2f}x the bound)"
            )
        assert simulator.mutations == ()
    lines.append(f"speed-up at concurrency 16: {timings[1] / timings[16]:.1f}x (target >= 8x)")
    report = "\n".join(lines) + "\n"
    print(report, end="")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
