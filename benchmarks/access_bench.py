"""Access-graph benchmark (issue 10): building the graph and its closure for 5,000 service accounts, 50,000 bindings
and 500 notebook instances, against the same closure computed with networkx and rustworkx, in one run.

The generated model (built in memory, no Terraform parsing: this measures the access stage alone): 50 projects of
100 service accounts each, 10 Workbench instances per project each running as its own account; 1,000 users and 100
groups. Bindings: actAs for a group on every account (5,000), a token grant from one account to another in the same
project (5,000, forming chains), token grants to users (2,000), notebooks.admin for one account per project (50), and
37,950 project-level grants of roles that give no edge (viewers, log and storage readers) to users and groups.

Each variant runs in its own child process, measured for wall time (import + build + closure of every node) and
peak RSS; the figures go to benchmarks/results/access.txt. Targets: under 2 s and under 500 MB for ours.

    python benchmarks/access_bench.py
networkx and rustworkx are optional (the `bench` extra): a variant whose library is missing is reported as skipped.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._process import compile_bytecode, measure  # noqa: E402

PROJECTS = 50
ACCOUNTS = 100
INSTANCES = 10
USERS = 1000
GROUPS = 100
BINDINGS = 50_000
RESULTS = Path(__file__).resolve().parent / "results" / "access.txt"


def generate():  # type: ignore[no-untyped-def]
    from auditor.model import (
        Authority,
        Binding,
        Intent,
        Location,
        NotebookInstance,
        Principal,
        Scope,
        ScopeKind,
        ServiceAccount,
    )

    rng = random.Random(10)
    here = Location("bench.tf", 1)
    accounts, instances, bindings = [], [], []

    def grant(kind: ScopeKind, name: str, role: str, member: str, n: int) -> None:
        bindings.append(Binding(Scope(kind, name), role, (Principal.parse(member),), Authority.MEMBER, f"b{n}", here))

    users = [f"user:u{i}@example.com" for i in range(USERS)]
    groups = [f"group:g{i}@example.com" for i in range(GROUPS)]
    for p in range(PROJECTS):
        project = f"proj-{p}"
        emails = [f"sa{a}@{project}.iam.gserviceaccount.com" for a in range(ACCOUNTS)]
        accounts += [ServiceAccount(e, project, f"sa.{p}.{a}", here) for a, e in enumerate(emails)]
        for i in range(INSTANCES):
            instances.append(
                NotebookInstance(
                    f"nb{i}", project, "europe-west4-a", "v2", f"nb.{p}.{i}", here, service_account=emails[i]
                )
            )
        for email in emails:
            grant(ScopeKind.SERVICE_ACCOUNT, email, "roles/iam.serviceAccountUser", rng.choice(groups), len(bindings))
            other = rng.choice(emails)
            grant(
                ScopeKind.SERVICE_ACCOUNT,
                other,
                "roles/iam.serviceAccountTokenCreator",
                f"serviceAccount:{email}",
                len(bindings),
            )
        for _ in range(40):
            grant(
                ScopeKind.SERVICE_ACCOUNT,
                rng.choice(emails),
                "roles/iam.serviceAccountTokenCreator",
                rng.choice(users),
                len(bindings),
            )
        grant(ScopeKind.PROJECT, project, "roles/notebooks.admin", f"serviceAccount:{emails[-1]}", len(bindings))
    harmless = ["roles/notebooks.viewer", "roles/logging.viewer", "roles/storage.objectViewer", "roles/browser"]
    while len(bindings) < BINDINGS:
        grant(
            ScopeKind.PROJECT,
            f"proj-{rng.randrange(PROJECTS)}",
            rng.choice(harmless),
            rng.choice(users + groups),
            len(bindings),
        )
    return Intent(bindings=tuple(bindings), service_accounts=tuple(accounts), instances=tuple(instances))


def child(variant: str) -> None:
    """One measured run: import, build the graph, close it with `variant`; prints JSON figures."""
    start = time.perf_counter()
    intent = generate()
    generated = time.perf_counter()
    from auditor.access.closure import Closure
    from auditor.access.graph import build_graph

    graph = build_graph(intent)
    built = time.perf_counter()
    edges = sum(len(v) for v in graph.edges.values())
    if variant == "ours":
        pairs = Closure(graph).all()
    elif variant == "networkx":
        import networkx

        digraph = networkx.DiGraph()
        digraph.add_nodes_from(graph.nodes)
        digraph.add_edges_from((e.source, e.target) for v in graph.edges.values() for e in v)
        pairs = sum(len(networkx.descendants(digraph, n)) for n in digraph)
    else:
        import rustworkx

        digraph = rustworkx.PyDiGraph()
        index = {key: digraph.add_node(key) for key in graph.nodes}
        digraph.add_edges_from_no_data([(index[e.source], index[e.target]) for v in graph.edges.values() for e in v])
        pairs = sum(len(rustworkx.descendants(digraph, i)) for i in index.values())
    closed = time.perf_counter()
    print(
        json.dumps(
            {
                "nodes": len(graph.nodes),
                "edges": edges,
                "pairs": pairs,
                "generate_s": generated - start,
                "build_s": built - generated,
                "closure_s": closed - built,
            }
        )
    )


def main() -> int:
    compile_bytecode()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    lines = [
        "Access graph: 5,000 service accounts, 50,000 bindings, 500 instances (benchmarks/access_bench.py)",
        "variant     wall (s)  peak RSS (MB)  build (s)  closure (s)  nodes  edges  reachable pairs  import (s)",
    ]
    for variant, module in (("ours", None), ("networkx", "networkx"), ("rustworkx", "rustworkx")):
        if module is not None:
            probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, env=env)
            if probe.returncode != 0:
                lines.append(f"{variant:<10}  skipped: {module} is not installed")
                continue
        command = [sys.executable, __file__, "--child", variant]
        wall, rss = measure(command, env)
        figures = json.loads(subprocess.run(command, capture_output=True, env=env, check=True).stdout)
        import_s = 0.0
        if module is not None:
            timed = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)",
                ],
                capture_output=True,
                env=env,
                check=True,
            )
            import_s = float(timed.stdout)
        lines.append(
            f"{variant:<10}  {wall:8.2f}  {rss:13.0f}  {figures['build_s']:9.2f}  {figures['closure_s']:11.2f}"
            f"  {figures['nodes']:5}  {figures['edges']:5}  {figures['pairs']:15}  {import_s:10.3f}"
        )
    lines.append("wall and peak RSS include generating the model in memory (the `generate` step, ~same for all).")
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        sys.exit(main())
