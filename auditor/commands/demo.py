"""`auditor demo`: the full drift report with no cloud and no arguments.

Starts the simulator in-process on a bundled live state (the platform team's project after a few out-of-band
changes) and audits it against the bundled `examples/workbench` Terraform, exactly as `auditor drift` would.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    from auditor.audit import add_report_options

    parser = subparsers.add_parser(
        "demo",
        help="show a drift report on bundled example data (no cloud needed)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_report_options(parser)
    parser.set_defaults(run=run, paths=None)


def run(args: argparse.Namespace) -> int:
    import json

    from auditor.audit import prepare
    from auditor.commands.drift import audit_drift
    from auditor.examples import WORKBENCH, WORKBENCH_LIVE_STATE
    from auditor.live.clients import Endpoints
    from auditor.live.simulator import start_simulator

    state = json.loads(Path(WORKBENCH_LIVE_STATE).read_text(encoding="utf-8"))
    args.paths = [_short(Path(WORKBENCH))]
    args.project = [p["projectId"] for p in state["projects"]]
    args.organization, args.folder, args.from_export = [], [], []
    args.source, args.max_rpm = "apis", 100
    args.concurrency = 16
    args.retry_deadline = 60.0
    setup = prepare(args)
    simulator = start_simulator(state)
    try:
        return audit_drift(args, setup, Endpoints(simulator.api_endpoint, simulator.grpc_endpoint))
    finally:
        simulator.stop()


def _short(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
