"""`auditor demo [--organization]`: the full drift report with no cloud and no arguments.

Starts the simulator in-process on a bundled live state (the platform team's project after a few out-of-band
changes) and audits it against the bundled `examples/workbench` Terraform, exactly as `auditor drift` would.
With `--organization`, the state also holds the organization and folders above the project (with grants that reach
it from there) and a second team's project, and the whole organization is read through Cloud Asset Inventory.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    from auditor.audit import add_report_options
    from auditor.commands import add_command

    parser = add_command(subparsers, "demo", "show a drift report on bundled example data (no cloud needed)", __doc__)
    add_report_options(parser)
    parser.add_argument(
        "--organization",
        action="store_true",
        help="read the bundled organization (folders, a second project) through Cloud Asset Inventory",
    )
    parser.set_defaults(run=run, paths=None)


def run(args: argparse.Namespace) -> int:
    import json

    from auditor.audit import prepare
    from auditor.commands.drift import audit_drift, live_option_defaults
    from auditor.examples import ORGANIZATION_STATE, WORKBENCH, WORKBENCH_LIVE_STATE
    from auditor.live.clients import Endpoints
    from auditor.live.simulator import start_simulator

    state = json.loads(Path(WORKBENCH_LIVE_STATE).read_text(encoding="utf-8"))
    args.paths = [_short(Path(WORKBENCH))]
    organization_scale = bool(args.organization)
    vars(args).update(live_option_defaults())
    args.source = "apis"
    args.project = [p["projectId"] for p in state["projects"]]
    if organization_scale:
        extra = json.loads(Path(ORGANIZATION_STATE).read_text(encoding="utf-8"))
        state = {**state, **{key: extra[key] for key in ("organization", "folders")}}
        state["projects"] = [*state["projects"], *extra["projects"]]
        args.organization, args.project, args.source = [state["organization"]["id"]], [], "asset-inventory"
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
