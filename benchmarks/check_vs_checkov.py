"""`auditor check` versus Checkov on the same generated Terraform, side by side in one run.

Usage: python benchmarks/check_vs_checkov.py [--sizes 10,2000,8000] [--repeat 3] [--checkov-venv DIR]
Checkov is installed by this script into its own virtual environment (never a dependency of ours). Every figure is a
fresh process: wall time and peak RSS from wait4. `auditor check` is measured cold (empty parse cache) and warm.
Figures go to benchmarks/results/check-vs-checkov.txt.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,2000,8000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--checkov-venv", type=Path, default=Path(tempfile.gettempdir()) / "checkov-venv")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "check-vs-checkov.txt")
    args = parser.parse_args()
    compile_bytecode()

    checkov = ensure_checkov(args.checkov_venv)
    work = Path(tempfile.mkdtemp(prefix="auditor-vs-checkov-"))
    cache = work / "cache"
    env = {**os.environ, "AUDITOR_CACHE_DIR": str(cache)}
    lines = [
        f"# auditor check vs checkov {CHECKOV_VERSION} ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores); "
        f"median of {args.repeat} runs, peak RSS in MB",
        f"{'resources':>9} {'checkov s':>9} {'MB':>5} {'cold s':>7} {'MB':>5} {'speedup':>7} {'warm s':>7} {'MB':>5} "
        f"{'speedup':>7}",
    ]
    example = Path(__file__).resolve().parent.parent / "examples" / "workbench"
    targets = [(f"example ({example.name})", example)] if example.is_dir() else []
    for size in (int(s) for s in args.sizes.split(",")):
        directory = work / f"tf{size}"
        generate(size, directory)
        targets.append((str(size), directory))
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
    shutil.rmtree(work, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
