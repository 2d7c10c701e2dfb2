"""A local Google Cloud for tests, benchmarks and `auditor demo`: real wire protocols, answers from a state file.

REST (resourcemanager v3, notebooks v2) and gRPC (IAM admin v1, notebooks v1/v2, IAMPolicy, Locations) run on two
loopback ports, so the official client libraries talk to it exactly as they talk to Google. It only reads: every
mutating call is refused and recorded in `mutations` (REST: 405; gRPC: UNIMPLEMENTED, see grpc_server.py).

State file: issue 4's format, checked against `state.schema.json` (an error names the place in the state and what
was expected), plus these optional keys (all additive):
- top level `pageSize` (the server's largest page, default 100; 0 serves empty pages whose token never advances, a
  broken server for testing the reader) and `latency_ms` (per call, default 0, at most 600,000);
- per project `unreachableLocations: [ZONE]` (list calls for them answer `unreachable: [ZONE]` and skip their
  instances) and `locations: [ZONE]` (what ListLocations returns; default: the instances' zones plus unreachable);
- per fault `after: N` (let N calls through first, e.g. to fail from the second page on) and `retryAfter: SECONDS`
  (sent as gRPC RetryInfo / REST Retry-After with the error);
- organization scale (issue 11, served by assets.py: Cloud Asset Inventory `ListAssets`, IAM `ListRoles`,
  resourcemanager v3 folders/projects by parent and folder/organization IAM):
  `organization: {id, displayName, iamPolicy, customRoles: [{name, title, includedPermissions, stage}]}`,
  `folders: [{name: "folders/N", parent, displayName, iamPolicy}]`, per project `parent` (a project without one
  sits under the organization), `customRoles` and `computeInstances: [{name: "projects/P/zones/Z/instances/N",
  serviceAccounts: [{email}], metadata: {items: [{key, value}]}, iamPolicy}]`, and top-level `assetPageSize`
  (ListAssets' largest page, default 1,000). Fault calls `assets.list`, `roles.list`, `folders.list`,
  `projects.list`, `folders.getIamPolicy`, `organizations.getIamPolicy`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.live.simulator.state import CALLS, Mutation, SimulatedCloud, load_state

__all__ = ["CALLS", "Mutation", "RunningSimulator", "SimulatedCloud", "load_state", "start_simulator"]


@dataclass
class RunningSimulator:
    """Handle on a simulator serving in background threads; `stop()` (or the context manager) shuts it down."""

    cloud: SimulatedCloud
    api_endpoint: str
    """REST base URL, `http://127.0.0.1:PORT`, for `client_options.api_endpoint`."""
    grpc_endpoint: str
    """`127.0.0.1:PORT`, for `grpc.insecure_channel`."""
    _http: Any = field(repr=False)
    _grpc: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def mutations(self) -> tuple[Mutation, ...]:
        return self.cloud.mutations

    @property
    def calls(self) -> dict[str, int]:
        return dict(self.cloud.calls)

    def stop(self) -> None:
        self.cloud.stop()
        self._http.shutdown()
        self._http.server_close()
        self._grpc.stop(grace=None).wait()
        self._thread.join(timeout=5)

    def wait(self) -> None:
        """Block until the server is stopped (foreground mode)."""
        self._thread.join()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(
    state: Mapping[str, Any],
    *,
    latency_ms: float | None = None,
    host: str = "127.0.0.1",
    http_port: int = 0,
    grpc_port: int = 0,
) -> RunningSimulator:
    """Serve `state` on free loopback ports (or the given ones) and return once both servers accept calls.

    `latency_ms` delays every read (None: the state's `latency_ms`, default 0).
    """
    from auditor.live.simulator import grpc_server, rest  # grpc is imported only when a simulator runs

    cloud = SimulatedCloud(state, latency_ms=latency_ms)
    http_server = rest.make_server(cloud, host, http_port)
    grpc_srv, bound_grpc_port = grpc_server.make_server(cloud, host, grpc_port)
    grpc_srv.start()
    # A short poll interval makes stop() quick (shutdown waits for the next poll).
    thread = threading.Thread(target=http_server.serve_forever, args=(0.05,), name="sim-rest", daemon=True)
    thread.start()
    return RunningSimulator(
        cloud=cloud,
        api_endpoint=f"http://{host}:{http_server.server_address[1]}",
        grpc_endpoint=f"{host}:{bound_grpc_port}",
        _http=http_server,
        _grpc=grpc_srv,
        _thread=thread,
    )
