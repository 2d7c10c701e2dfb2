"""Organization-scale benchmark (issue 11): `auditor drift --organization` through Cloud Asset Inventory against the
per-service APIs, in the same run, against the simulator with 50 ms injected latency per call.

The generated organization: PROJECTS projects in 20 folders, 30 service accounts (each with an IAM policy) and
3 notebook instances (1 v1, 2 v2, each with an IAM policy and its Compute Engine VM) per project. The simulator runs
in this process; each audit runs as a child process (`python -m auditor drift ...`), measured for wall time and peak
RSS; calls are counted by the simulator. A warm-up asset read first fills the simulator's own caches (its JSON ->
protobuf conversion would otherwise be billed to the first measured read; a real server's cost is the latency).

Run from the repository root: `python benchmarks/org_bench.py [--projects 1000] [--apis-projects 100]`.
`--apis-projects` below `--projects` measures the per-service side on a smaller organization of the same shape and
extrapolates it linearly to `--projects` (the per-service reader reads project after project, so its calls and
time grow linearly); the output says so on every extrapolated line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._process import compile_bytecode, measure  # noqa: E402

ORG = "100000000001"
FOLDERS = 20
ACCOUNTS = 30
ZONE = "europe-west4-a"


def generate_state(projects: int) -> dict[str, Any]:
    def policy(role: str, member: str) -> dict[str, Any]:
        return {"version": 1, "bindings": [{"role": role, "members": [member]}]}

    state: dict[str, Any] = {
        "organization": {
            "id": ORG,
            "displayName": "bench.example",
            "iamPolicy": policy("roles/notebooks.viewer", "group:ds@bench.example"),
        },
        "folders": [
            {
                "name": f"folders/{200000 + f}",
                "parent": f"organizations/{ORG}",
                "displayName": f"team-{f:02d}",
                "iamPolicy": policy("roles/notebooks.viewer", f"group:team-{f:02d}@bench.example"),
            }
            for f in range(FOLDERS)
        ],
        "projects": [],
    }
    for p in range(projects):
        project_id = f"bench-{p:04d}"
        accounts = [
            {
                "email": f"sa-{i:02d}@{project_id}.iam.gserviceaccount.com",
                "iamPolicy": policy("roles/iam.serviceAccountUser", f"user:u{i}@bench.example"),
            }
            for i in range(ACCOUNTS)
        ]

        def instance(i: int, project_id: str = project_id) -> str:
            return f"projects/{project_id}/locations/{ZONE}/instances/nb-{i}"

        owner = policy("roles/notebooks.viewer", "group:ds@bench.example")
        state["projects"].append(
            {
                "projectId": project_id,
                "projectNumber": str(300000000000 + p),
                "parent": f"folders/{200000 + p % FOLDERS}",
                "iamPolicy": policy("roles/notebooks.viewer", "group:ds@bench.example"),
                "serviceAccounts": accounts,
                "notebookInstances": [
                    {
                        "name": instance(0),
                        "machineType": "n1-standard-4",
                        "serviceAccount": accounts[0]["email"],
                        "iamPolicy": owner,
                    }
                ],
                "workbenchInstances": [
                    {
                        "name": instance(i),
                        "gceSetup": {
                            "machineType": "e2-standard-4",
                            "serviceAccounts": [{"email": accounts[i]["email"]}],
                        },
                        "iamPolicy": owner,
                    }
                    for i in (1, 2)
                ],
                "computeInstances": [
                    {
                        "name": f"projects/{project_id}/zones/{ZONE}/instances/nb-{i}",
                        "serviceAccounts": [{"email": accounts[i]["email"]}],
                    }
                    for i in range(3)
                ],
            }
        )
    return state


def audit(source: str, simulator: Any, workdir: Path) -> dict[str, Any]:
    """One `auditor drift --organization` child process: wall time, peak RSS, calls, completeness."""
    output = workdir / f"{source}.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    before = dict(simulator.calls)
    terraform = workdir / "terraform"  # one declaration: the live side is almost all unmanaged, judged by policies
    terraform.mkdir(exist_ok=True)
    (terraform / "main.tf").write_text(
        'resource "google_organization_iam_member" "viewers" {\n'
        f'  org_id = "{ORG}"\n  role   = "roles/notebooks.viewer"\n  member = "group:ds@bench.example"\n}}\n'
    )
    command = [
        sys.executable,
        "-m",
        "auditor",
        "drift",
        str(terraform),
        "--organization",
        ORG,
        "--source",
        source,
        "--format",
        "json",
        "--output",
        str(output),
        "--api-endpoint",
        simulator.api_endpoint,
        "--grpc-endpoint",
        simulator.grpc_endpoint,
    ]
    # Exit 2 is an incomplete audit: reported (with its first errors), not hidden.
    wall, peak_mb = measure(command, env, ok=(0, 1, 2))
    calls = sum(simulator.calls.values()) - sum(before.values())
    report = json.loads(output.read_text())
    errors = [error["text"] for error in report["errors"][:3]]
    return {"wall": wall, "peak_mb": peak_mb, "calls": calls, "complete": report["complete"], "errors": errors}


def run(projects: int, sources: tuple[str, ...], latency_ms: float) -> dict[str, dict[str, Any]]:
    from auditor.live.asset_reader import read_assets
    from auditor.live.clients import Endpoints
    from auditor.live.simulator import start_simulator

    results = {}
    with start_simulator(generate_state(projects), latency_ms=latency_ms) as simulator:
        if "asset-inventory" in sources:
            warm = read_assets(
                [f"organizations/{ORG}"], endpoints=Endpoints(simulator.api_endpoint, simulator.grpc_endpoint)
            )
            assert warm.complete, warm.errors
        with tempfile.TemporaryDirectory() as workdir:
            for source in sources:
                results[source] = audit(source, simulator, Path(workdir))
        assert simulator.mutations == ()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--apis-projects", type=int, default=None, help="default: --projects (no extrapolation)")
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "org-scale.txt")
    args = parser.parse_args()
    compile_bytecode()
    apis_projects = args.apis_projects or args.projects

    lines = [
        f"organization-scale benchmark: {args.projects} projects in {FOLDERS} folders, {ACCOUNTS} service accounts "
        f"and 3 notebook instances (1 v1, 2 v2; + their 3 VMs) per project, {args.latency_ms:g} ms latency per call",
    ]
    measured: dict[tuple[str, int], dict[str, Any]] = {}
    if apis_projects == args.projects:
        both = run(args.projects, ("asset-inventory", "apis"), args.latency_ms)
        measured[("asset-inventory", args.projects)] = both["asset-inventory"]
        measured[("apis", args.projects)] = both["apis"]
    else:
        small = run(apis_projects, ("asset-inventory", "apis"), args.latency_ms)
        measured[("asset-inventory", apis_projects)] = small["asset-inventory"]
        measured[("apis", apis_projects)] = small["apis"]
        measured[("asset-inventory", args.projects)] = run(args.projects, ("asset-inventory",), args.latency_ms)[
            "asset-inventory"
        ]
    for (source, projects), result in measured.items():
        lines.append(
            f"measured  {source:<16} {projects:>5} projects: {result['wall']:8.2f} s  {result['calls']:>6} calls  "
            f"peak {result['peak_mb']:6.0f} MB  complete={result['complete']}"
        )
        lines += [f"    error: {error}" for error in result["errors"]]
    cai = measured[("asset-inventory", args.projects)]
    apis = measured.get(("apis", args.projects))
    if apis is None:
        small = measured[("apis", apis_projects)]
        scale = args.projects / apis_projects
        apis = {"wall": small["wall"] * scale, "calls": small["calls"] * scale}
        lines.append(
            f"EXTRAPOLATED apis {args.projects:>5} projects: {apis['wall']:8.2f} s  {apis['calls']:>6.0f} calls  "
            f"(linear from {apis_projects} measured projects x {scale:g}; not measured at {args.projects})"
        )
        small_cai = measured[("asset-inventory", apis_projects)]
        lines.append(
            f"measured ratios at {apis_projects} projects: {small['calls'] / small_cai['calls']:.0f}x fewer calls, "
            f"{small['wall'] / small_cai['wall']:.1f}x faster"
        )
    note = " (apis side extrapolated)" if ("apis", args.projects) not in measured else ""
    lines.append(
        f"at {args.projects} projects{note}: {apis['calls'] / cai['calls']:.0f}x fewer calls (target >= 20x), "
        f"{apis['wall'] / cai['wall']:.1f}x faster (target >= 10x), asset-inventory peak {cai['peak_mb']:.0f} MB "
        f"(target < 1024 MB), complete={cai['complete']}"
    )
    report = "\n".join(lines) + "\n"
    print(report, end="")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
