"""Audit every Terraform file and plan in ../shared/corpus and count findings per policy.

Usage: python benchmarks/corpus_summary.py [--corpus ../shared/corpus]
Each `.tf` is audited as its own module (the corpus directories hold unrelated examples side by side) and each
`.tfplan.json` on its own. A traceback anywhere is a failure of this script. Figures go to
benchmarks/results/corpus-summary.txt.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.policy.engine import evaluate  # noqa: E402
from auditor.policy.loader import load_policies  # noqa: E402
from auditor.terraform.hcl import load_module  # noqa: E402
from auditor.terraform.plan import read_plan  # noqa: E402
from auditor.terraform.semantics import build_intent  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "corpus-summary.txt")
    args = parser.parse_args()

    policies = load_policies()
    per_policy: collections.Counter[str] = collections.Counter()
    files_with: collections.defaultdict[str, set[str]] = collections.defaultdict(set)
    audited = errored = 0
    start = time.perf_counter()
    inputs = sorted(args.corpus.rglob("*.tf")) + sorted(args.corpus.rglob("*.tfplan.json"))
    for path in inputs:
        if path.suffix == ".tf":
            resources, errors = load_module(path.parent, files=[path])
        else:
            resources, errors = read_plan(path)
        intent = build_intent(resources, errors)
        audited += 1
        errored += bool(intent.errors)
        for finding in evaluate(intent, policies):
            per_policy[finding.rule] += 1
            files_with[finding.rule].add(str(path.relative_to(args.corpus)))
    elapsed = time.perf_counter() - start
    lines = [
        f"# findings per policy on {args.corpus.name}/ ({audited} inputs: .tf files and plans, each on its own; "
        f"{errored} with input errors, i.e. unrendered templates; {elapsed:.1f} s)",
        f"{'policy':<36} {'findings':>8} {'inputs':>6}",
    ]
    for policy in sorted(p.id for p in policies):
        lines.append(f"{policy:<36} {per_policy[policy]:>8} {len(files_with[policy]):>6}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
