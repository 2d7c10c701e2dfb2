"""`auditor simulate --state FILE [--latency-ms N]`: serve a local Google Cloud in the foreground.

Prints exactly one JSON line with the two endpoints once both servers accept calls, then serves until interrupted;
point `auditor drift --api-endpoint/--grpc-endpoint` (or AUDITOR_API_ENDPOINT/AUDITOR_GRPC_ENDPOINT) at it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any

from auditor.errors import UsageError
from auditor.report import EXIT_OK


def register(subparsers: Any) -> None:
    from auditor.commands import add_command

    parser = add_command(
        subparsers, "simulate", "serve a local read-only Google Cloud from a state file (REST + gRPC)", __doc__
    )
    parser.add_argument("--state", required=True, metavar="FILE", help="JSON state file (format: issue 4)")
    parser.add_argument(
        "--latency-ms", type=float, default=None, metavar="N", help="delay added to every call (default: the state's)"
    )
    parser.add_argument("--port", type=int, default=0, help="REST port (default: any free port)")
    parser.add_argument("--grpc-port", type=int, default=0, help="gRPC port (default: any free port)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from auditor.live.simulator import load_state, start_simulator
    from auditor.live.simulator.state import MAX_LATENCY_MS

    if args.latency_ms is not None and not 0 <= args.latency_ms <= MAX_LATENCY_MS:  # also refuses nan
        raise UsageError(f"--latency-ms must be a number from 0 to {MAX_LATENCY_MS:g}, not {args.latency_ms:g}")
    state = load_state(args.state)
    try:
        simulator = start_simulator(state, latency_ms=args.latency_ms, http_port=args.port, grpc_port=args.grpc_port)
    except (OSError, RuntimeError) as error:
        raise UsageError(f"cannot listen on the requested ports: {error}") from None
    # SIGTERM (a test or a CI job stopping us) shuts down like Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    print(json.dumps({"api_endpoint": simulator.api_endpoint, "grpc_endpoint": simulator.grpc_endpoint}), flush=True)
    try:
        simulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
        mutations = simulator.mutations
        if mutations:
            print(f"auditor: simulator refused {len(mutations)} mutating call(s)", file=sys.stderr)
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
