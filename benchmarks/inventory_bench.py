"""Time `auditor inventory` against a plain single-process python-hcl2 parse of the same files, in one run.

python-hcl2 (the test oracle, in the `test` extra) is what the front end replaced: "plain" is only its parse, while
`auditor inventory` parses with tree-sitter, evaluates and writes the inventory.

Usage: python benchmarks/inventory_bench.py [--sizes 500,2000,8000] [--repeat 3]
Each measurement is a fresh process (wall time and peak RSS from wait4). "cold" empties the parse cache first;
"warm" runs again on unchanged files. Figures go to benchmarks/results/inventory.txt.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _process import compile_bytecode, measure  # noqa: E402
from generate import generate  # noqa: E402

PLAIN_PARSE = """
import sys, hcl2
from pathlib import Path
for path in sorted(Path(sys.argv[1]).glob("*.tf")):
    with path.open() as handle:
        hcl2.load(handle)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,500,2000,8000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "inventory.txt")
    args = parser.parse_args()
    compile_bytecode()

    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    cache = work / "cache"
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "AUDITOR_CACHE_DIR": str(cache), "PYTHONPATH": str(repo)}  # this checkout's code
    env.pop("AUDITOR_NO_CACHE", None)
    lines = [
        f"# auditor inventory vs plain python-hcl2 parse ({time.strftime('%Y-%m-%d %H:%M')}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}); median of {args.repeat}",
        f"{'resources':>9} {'plain s':>8} {'plainMB':>8} {'cold s':>8} {'coldMB':>7} {'cold/pl':>8} "
        f"{'warm s':>8} {'warmMB':>7} {'warm/pl':>8}",
    ]
    for size in (int(s) for s in args.sizes.split(",")):
        directory = work / f"tf{size}"
        generate(size, directory)
        plain, cold, warm = [], [], []
        inventory = [python, "-m", "auditor", "inventory", str(directory), "--format", "json"]
        for _ in range(args.repeat):
            if size <= 2000 or not plain:
                plain.append(measure([python, "-c", PLAIN_PARSE, str(directory)], env))
            shutil.rmtree(cache / "hcl", ignore_errors=True)  # the parse cache only: validated policies stay
            cold.append(measure(inventory, env))
            warm.append(measure(inventory, env))
        p = statistics.median(w for w, _ in plain)
        c = statistics.median(w for w, _ in cold)
        w = statistics.median(w for w, _ in warm)
        pm = max(m for _, m in plain)
        cm = max(m for _, m in cold)
        wm = max(m for _, m in warm)
        lines.append(
            f"{size:>9} {p:>8.3f} {pm:>8.0f} {c:>8.3f} {cm:>7.0f} {c / p:>8.2f} {w:>8.3f} {wm:>7.0f} {w / p:>8.2f}"
        )
        print(lines[-1], flush=True)
    shutil.rmtree(work, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
