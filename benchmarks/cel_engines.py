"""Measure the two CEL engines on the package index for the policy engine's workload.

`cel-python` (`celpy`, pure Python) versus `common-expression-language` (`cel`, Rust via PyO3): import time in a
fresh interpreter, compile time per condition and evaluation time per activation, on the built-in policies'
conditions and activations shaped like `auditor.policy.facts` builds. Writes benchmarks/results/cel-engines.txt.

Run: python benchmarks/cel_engines.py
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "cel-engines.txt"

PERMISSIONS = [f"notebooks.instances.p{i}" for i in range(100)] + ["notebooks.instances.setMachineType"]


def workload(permissions: list[str] = PERMISSIONS) -> list[tuple[str, dict]]:
    """(condition, activation) per built-in policy; activations are the subject's documented variables, with a
    101-permission role and a human principal for `member` subjects."""
    sys.path.insert(0, str(ROOT))
    from auditor.policy.facts import sample_activation
    from auditor.policy.schema import SubjectKind

    pairs = []
    for path in sorted((ROOT / "policies").glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        activation = sample_activation(SubjectKind(document["subject"]))
        if "role" in activation:
            activation["role"]["permissions"] = permissions
        if "principal" in activation:
            activation["principal"].update(member="user:ana@example.com", kind="user", human=True)
        pairs.append((document["condition"], activation))
    return pairs


IMPORTS = {
    "celpy (cel-python)": "import celpy",
    "cel (common-expression-language), package": "import cel",
    "cel (common-expression-language), extension only": (
        "import importlib.machinery as m, importlib.util as u, os, glob; "
        "d = u.find_spec('cel').submodule_search_locations[0]; p = glob.glob(os.path.join(d, 'cel.*.so'))[0]; "
        "l = m.ExtensionFileLoader('cel.cel', p); l.exec_module(u.module_from_spec(u.spec_from_loader('cel.cel', l)))"
    ),
}


def import_time(statement: str, runs: int = 5) -> float:
    """Median wall time of a fresh interpreter doing the import, minus a bare interpreter's start."""

    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    bare = statistics.median(run("pass") for _ in range(runs))
    return statistics.median(run(statement) for _ in range(runs)) - bare


def per_call(fn, items: list, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for item in items:
            fn(item)
    return (time.perf_counter() - start) / (repeat * len(items))


def bench_celpy(pairs: list[tuple[str, dict]]) -> tuple[float, float]:
    import celpy

    env = celpy.Environment()
    compile_s = per_call(lambda e: env.program(env.compile(e)), [c for c, _ in pairs], 3)
    programs = [(env.program(env.compile(c)), a) for c, a in pairs]

    # Converting the activation is part of every evaluation: subjects are plain Python dicts.
    def evaluate(item) -> None:
        program, activation = item
        result = program.evaluate(celpy.json_to_cel(activation))
        assert isinstance(result, celpy.celtypes.BoolType), result

    return compile_s, per_call(evaluate, programs, 20)


def bench_cel(pairs: list[tuple[str, dict]]) -> tuple[float, float]:
    import cel

    compile_s = per_call(cel.compile, [c for c, _ in pairs], 50)
    programs = [(cel.compile(c), a) for c, a in pairs]

    def evaluate(item) -> None:
        program, activation = item
        assert isinstance(program.execute(activation), bool)

    return compile_s, per_call(evaluate, programs, 500)


def bench_cel_shared_context(pairs: list[tuple[str, dict]]) -> float:
    """What the engine does: one `cel.Context` per subject, shared by every policy of that subject kind, so the
    activation is converted once. Returns seconds per (policy, subject) evaluation."""
    import cel

    by_kind: dict[tuple[str, ...], tuple[dict, list]] = {}
    for condition, activation in pairs:
        by_kind.setdefault(tuple(sorted(activation)), (activation, []))[1].append(cel.compile(condition))
    evaluations = sum(len(programs) for _, programs in by_kind.values())
    repeat = 500
    start = time.perf_counter()
    for _ in range(repeat):
        for activation, programs in by_kind.values():
            context = cel.Context(activation)
            for program in programs:
                program.execute(context)
    return (time.perf_counter() - start) / (repeat * evaluations)


def bench_engine() -> tuple[float, float]:
    """`auditor.policy.evaluate` end to end (subjects, memoized verdicts, findings) with the real role catalog:
    2,000 project bindings over six roles plus 500 default-configured instances, and 2,000 clean bindings."""
    from auditor.model import Authority, Binding, Intent, Location, NotebookInstance, Principal, Scope, ScopeKind
    from auditor.policy import evaluate, load_policies

    policies = load_policies()
    roles = ["roles/notebooks.viewer", "roles/notebooks.admin", "roles/owner", "roles/iam.serviceAccountUser"]
    roles += ["roles/viewer", "roles/editor"]

    def grant(i: int, role: str) -> Binding:
        return Binding(
            Scope(ScopeKind.PROJECT, "p"),
            role,
            (Principal.parse(f"user:u{i}@example.com"),),
            Authority.MEMBER,
            f"google_project_iam_member.m{i}",
            Location("main.tf", i + 1),
        )

    mixed = Intent(
        bindings=tuple(grant(i, roles[i % len(roles)]) for i in range(2000)),
        instances=tuple(
            NotebookInstance(f"nb{i}", "p", "z", "v2", f"google_workbench_instance.nb{i}", Location("nb.tf", i + 1))
            for i in range(500)
        ),
    )
    clean = Intent(bindings=tuple(grant(i, "roles/notebooks.viewer") for i in range(2000)))
    evaluate(mixed, policies)  # warm the catalog
    timings = []
    for intent in (mixed, clean):
        start = time.perf_counter()
        evaluate(intent, policies)
        timings.append(time.perf_counter() - start)
    return timings[0], timings[1]


def main() -> None:
    pairs = workload()
    lean = workload([])
    lines = [
        f"CEL engines, {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, {platform.machine()}, "
        f"{len(pairs)} built-in conditions, each on its subject's activation (member: 101 permissions)",
        "",
        "import time (fresh interpreter, median of 5, bare interpreter start subtracted):",
    ]
    for label, statement in IMPORTS.items():
        lines.append(f"  {label:50s} {import_time(statement) * 1000:8.1f} ms")
    lines.append("")
    lines.append(f"  {'engine':40s} {'compile/condition':>18s} {'evaluate/activation':>20s}")
    for label, bench in (("celpy (cel-python)", bench_celpy), ("cel (common-expression-language)", bench_cel)):
        compile_s, eval_s = bench(pairs)
        lines.append(f"  {label:40s} {compile_s * 1e6:15.1f} us {eval_s * 1e6:17.1f} us")
        compile_s, eval_s = bench(lean)
        label = "  same, role.permissions left empty"
        lines.append(f"  {label:40s} {compile_s * 1e6:15.1f} us {eval_s * 1e6:17.1f} us")
    shared = bench_cel_shared_context(lean)
    label = "  same, one Context per subject (engine)"
    lines.append(f"  {label:40s} {'':>18s} {shared * 1e6:17.1f} us")
    mixed, clean = bench_engine()
    lines += [
        "",
        "auditor.policy.evaluate, 14 built-in policies, real role catalog:",
        f"  2,000 bindings (6 roles) + 500 instances, 5,331 findings   {mixed * 1000:8.1f} ms",
        f"  2,000 clean bindings, no finding                           {clean * 1000:8.1f} ms",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
