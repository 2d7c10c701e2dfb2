"""`auditor check` versus Checkov on the same generated Terraform, side by side in one run.

Usage: python benchmarks/check_vs_checkov.py [--sizes 10,2000,8000] [--repeat 5] [--checkov-venv DIR]
Checkov is installed by this script into its own virtual environment (never a dependency of ours). Every figure is a
fresh process: wall time and peak RSS from wait4. `auditor check` (this checkout's code) is measured cold (empty
parse cache) and warm; the floor (`python -c pass`, `python -c "import auditor.cli"`) and the load average are noted,
and each ratio is set against its target (issue 12). Figures go to benchmarks/results/check-vs-checkov.txt.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _process import compile_bytecode, measure  # noqa: E402
from generate import generate  # noqa: E402

CHECKOV_VERSION = "3.3.30"


def ensure_checkov(venv: Path) -> Path:
    checkov = venv / "bin" / "checkov"
    if not checkov.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"checkov=={CHECKOV_VERSION}"], check=True)
    return checkov


TARGETS = {
    # resources: (cold speedup, warm speedup) at least, against Checkov in the same run (issue 12)
    "10": (20.0, None),
    "2000": (10.0, 25.0),
    "8000": (10.0, None),
}
MEMORY_TARGET = ("8000", 1 / 3)
"""Peak RSS of a cold run at this size under this fraction of Checkov's."""


def _mark(ratio: float, target: float | None) -> str:
    if target is None:
        return ""
    return f" (target {target:.0f}x: {'met' if ratio >= target else 'MISSED'})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,2000,8000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--checkov-venv", type=Path, default=Path(tempfile.gettempdir()) / "checkov-venv")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "check-vs-checkov.txt")
    args = parser.parse_args()
    compile_bytecode()

    checkov = ensure_checkov(args.checkov_venv)
    work = Path(tempfile.mkdtemp(prefix="auditor-vs-checkov-"))
    cache = work / "cache"
    repo = Path(__file__).resolve().parent.parent
    # This checkout's code, whatever an editable install elsewhere points at.
    env = {**os.environ, "AUDITOR_CACHE_DIR": str(cache), "PYTHONPATH": str(repo)}
    env.pop("AUDITOR_NO_CACHE", None)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"# auditor check vs checkov {CHECKOV_VERSION} ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}, load average at start {load}); median of {args.repeat} runs, wall s, "
        "peak RSS in MB; cold = empty parse cache",
    ]
    floor = []
    for label, code in (("python -c pass", "pass"), ('python -c "import auditor.cli"', "import auditor.cli")):
        runs = [measure([sys.executable, "-c", code], env) for _ in range(max(5, args.repeat))]
        floor.append(f"# floor: {label}: {statistics.median(w for w, _ in runs):.3f} s")
    lines += floor
    lines.append(
        f"{'resources':>9} {'checkov s':>9} {'MB':>5} {'cold s':>7} {'MB':>5} {'speedup':>7} {'warm s':>7} {'MB':>5} "
        f"{'speedup':>7}"
    )
    example = repo / "examples" / "workbench"
    targets = [(f"example ({example.name})", example)] if example.is_dir() else []
    for size in (int(s) for s in args.sizes.split(",")):
        directory = work / f"tf{size}"
        generate(size, directory)
        targets.append((str(size), directory))
    verdicts = []
    for label, directory in targets:
        checkov_runs, cold, warm = [], [], []
        auditor = [
            sys.executable,
            "-m",
            "auditor",
            "check",
            str(directory),
            "--format",
            "json",
            "--fail-on",
            "critical",
        ]
        for _ in range(args.repeat):
            checkov_runs.append(
                measure([str(checkov), "-d", str(directory), "--framework", "terraform", "--quiet", "-o", "json"], env)
            )
            shutil.rmtree(cache / "hcl", ignore_errors=True)  # the parse cache only: validated policies stay
            cold.append(measure(auditor, env))
            warm.append(measure(auditor, env))
        k = statistics.median(w for w, _ in checkov_runs)
        c = statistics.median(w for w, _ in cold)
        w = statistics.median(w for w, _ in warm)
        km, cm, wm = (max(m for _, m in runs) for runs in (checkov_runs, cold, warm))
        lines.append(
            f"{label:>9} {k:>9.2f} {km:>5.0f} {c:>7.2f} {cm:>5.0f} {k / c:>6.1f}x {w:>7.2f} {wm:>5.0f} {k / w:>6.1f}x"
        )
        print(lines[-1], flush=True)
        cold_target, warm_target = TARGETS.get(label, (None, None))
        if cold_target is not None:
            verdicts.append(f"# {label} resources, cold: {k / c:.1f}x{_mark(k / c, cold_target)}")
        if warm_target is not None:
            verdicts.append(f"# {label} resources, warm: {k / w:.1f}x{_mark(k / w, warm_target)}")
        if label == MEMORY_TARGET[0]:
            share = cm / km
            verdict = "met" if share < MEMORY_TARGET[1] else "MISSED"
            verdicts.append(
                f"# {label} resources, peak memory cold: {share:.2f} of Checkov's (target < 1/3: {verdict})"
            )
    lines += verdicts
    print("\n".join([*floor, *verdicts]))
    shutil.rmtree(work, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
