"""The simulated cloud's content and behaviour, shared by the REST and gRPC front ends.

A state file (issue 4) holds projects with their IAM policy, service accounts and notebook instances, written with
the real API's JSON field names, plus injected faults. Both front ends ask this module for answers and translate
`ApiError` into their protocol's error shape, so REST and gRPC cannot disagree about the same state.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.errors import InputReadError
from auditor.live.calls import CALLS, PERMISSIONS

HTTP_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""HTTP status -> canonical status name (google.rpc.Code), used in both error shapes."""

DEFAULT_PAGE_SIZE = 100
MAX_LATENCY_MS = 600_000.0
"""Ten minutes per call (the schema's bound too): anything longer is a typo such as `1e12`."""
ETAG = base64.b64encode(b"\x07\x06simetag").decode()


class ApiError(Exception):
    """A Google API error, protocol-neutral: each front end renders it as its wire format's error."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.metadata = dict(metadata or {})
        self.retry_after = retry_after
        """Seconds the client should wait (gRPC RetryInfo, REST Retry-After), when the server says."""

    @property
    def status(self) -> str:
        return HTTP_STATUS.get(self.code, "UNKNOWN")


@dataclass(frozen=True, slots=True)
class Mutation:
    """A call that would change the cloud; the simulator refuses it and records it here."""

    protocol: str
    """`rest` or `grpc`."""
    method: str
    """HTTP method or gRPC method name."""
    target: str
    """URL path or full gRPC method (`/google.iam.admin.v1.IAM/SetIamPolicy`)."""


@dataclass(slots=True)
class _Fault:
    """An injected failure: which call fails, with which status, how often and from which call on."""

    call: str
    code: int
    remaining: int | None
    """Calls left to fail; None fails forever."""
    after: int = 0
    """Calls to let through before failing (an extension: fail page 2 onwards)."""
    retry_after: float | None = None
    """Seconds sent as RetryInfo / Retry-After with the error (an extension)."""


def load_state(path: str | Path) -> dict[str, Any]:
    """Read a state file; a malformed file is a user error, not a traceback."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputReadError(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise InputReadError(f"{path}: not UTF-8 text: {error.reason}") from None
    try:
        state = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise InputReadError(f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}") from None
    except ValueError as error:
        raise InputReadError(f"{path}: {error}") from None
    validate_state(state, source=str(path))
    return state


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows (latency_ms, pageSize and the like must be finite)")


@functools.cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads(resources.files(__package__).joinpath("state.schema.json").read_text(encoding="utf-8"))
    schema["$defs"]["fault"]["properties"]["call"]["enum"] = list(CALLS)
    return jsonschema.Draft202012Validator(schema)


def validate_state(state: Any, *, source: str = "state") -> None:
    """Check `state` against state.schema.json; the first error names its place in the state and what was expected."""
    errors = sorted(_validator().iter_errors(state), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputReadError(f"{source}: {state_path(first.absolute_path)}: {_expected(first)}{more}")
    latency = state.get("latency_ms", 0)
    if isinstance(latency, float) and not math.isfinite(latency):
        raise InputReadError(f"{source}: latency_ms: expected a finite number of milliseconds, got {latency}")


def state_path(parts: Iterable[str | int]) -> str:
    """`projects[0].iamPolicy.bindings[2]`: where in the state a value sits (`(top level)` for the root)."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def _expected(error: Any) -> str:
    """jsonschema's message, with the expectation first for the common type error."""
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        return f"expected {wanted}, got {_json_type(error.instance)} {_short(error.instance)}"
    if error.validator == "enum":
        return f"expected one of {', '.join(map(str, error.validator_value))}, got {_short(error.instance)}"
    return error.message


def _json_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


class SimulatedCloud:
    """Answers read calls from a state dict; thread-safe (the servers call it from many threads)."""

    def __init__(self, state: Mapping[str, Any], *, latency_ms: float | None = None) -> None:
        """`latency_ms` None takes the state file's `latency_ms` (default 0)."""
        validate_state(state)
        self._state = copy.deepcopy(dict(state))
        latency = self._state.get("latency_ms", 0) if latency_ms is None else latency_ms
        if not 0 <= float(latency) <= MAX_LATENCY_MS:  # also refuses nan
            raise ValueError(f"latency_ms must be from 0 to {MAX_LATENCY_MS:g}, not {latency}")
        self.latency_s = float(latency) / 1000
        self.page_size = int(self._state.get("pageSize", DEFAULT_PAGE_SIZE))
        self._faults = [
            _Fault(
                f["call"],
                int(f["code"]),
                int(f["count"]) if f.get("count") is not None else None,
                int(f.get("after", 0)),
                float(f["retryAfter"]) if f.get("retryAfter") is not None else None,
            )
            for f in self._state.get("faults", [])
        ]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._mutations: list[Mutation] = []
        self.calls: dict[str, int] = {}
        """How many times each read call was answered (faults included), for tests and benchmarks."""
        self._inventory: Any = None

    @property
    def inventory(self) -> Any:
        """The Cloud Asset Inventory and custom roles view of this state (built on first use)."""
        from auditor.live.simulator.assets import AssetInventory

        with self._lock:
            if self._inventory is None:
                self._inventory = AssetInventory(self, self._state)
            return self._inventory

    @property
    def resource_manager(self) -> Any:
        """Folders, projects by parent, folder and organization IAM (resourcemanager v3)."""
        from auditor.live.simulator.assets import ResourceManager

        return ResourceManager(self, self._state)

    # -- bookkeeping -------------------------------------------------------------------------------------------

    @property
    def mutations(self) -> tuple[Mutation, ...]:
        with self._lock:
            return tuple(self._mutations)

    def record_mutation(self, protocol: str, method: str, target: str) -> None:
        with self._lock:
            self._mutations.append(Mutation(protocol, method, target))

    def stop(self) -> None:
        """Calls in flight stop waiting out their latency and answer UNAVAILABLE: shutting down never waits for them."""
        self._stopping.set()

    def begin(self, call: str, resource: str) -> None:
        """Every read goes through here: latency first (like a round trip), then injected faults."""
        if self.latency_s:
            self._stopping.wait(self.latency_s)
        if self._stopping.is_set():
            raise ApiError(503, "The simulator is shutting down.")
        with self._lock:
            self.calls[call] = self.calls.get(call, 0) + 1
            fault = next((f for f in self._faults if f.call == call and f.remaining != 0), None)
            if fault is None:
                return
            if fault.after:
                fault.after -= 1
                return
            if fault.remaining is not None:
                fault.remaining -= 1
        if fault.code == 403:
            raise permission_denied(call, resource)
        raise ApiError(
            fault.code,
            f"Injected fault on {call} ({HTTP_STATUS.get(fault.code, fault.code)}).",
            retry_after=fault.retry_after,
        )

    # -- lookups -----------------------------------------------------------------------------------------------

    def project(self, call: str, project_id: str) -> dict[str, Any]:
        for project in self._state.get("projects", []):
            if project_id in (project["projectId"], str(project.get("projectNumber", ""))):
                return project
        # Google answers 403, not 404, for a project that does not exist or is not visible.
        raise permission_denied(call, f"projects/{project_id}")

    def get_project(self, project_id: str) -> dict[str, Any]:
        self.begin("projects.get", f"projects/{project_id}")
        project = self.project("projects.get", project_id)
        return {
            "name": f"projects/{project.get('projectNumber', '0')}",
            "projectId": project["projectId"],
            "displayName": project.get("displayName", project["projectId"]),
            "state": "ACTIVE",
            "parent": project.get("parent", ""),
        }

    def get_project_iam_policy(self, project_id: str, requested_version: int) -> dict[str, Any]:
        self.begin("projects.getIamPolicy", f"projects/{project_id}")
        return versioned_policy(self.project("projects.getIamPolicy", project_id).get("iamPolicy"), requested_version)

    def list_service_accounts(self, name: str, page_size: int, page_token: str) -> tuple[list[dict], str]:
        self.begin("serviceAccounts.list", name)
        project = self.project("serviceAccounts.list", _project_id(name))
        accounts = [_service_account_view(project, a) for a in project.get("serviceAccounts", [])]
        return self.page(accounts, page_size, page_token)

    def get_service_account_iam_policy(self, resource: str, requested_version: int) -> dict[str, Any]:
        self.begin("serviceAccounts.getIamPolicy", resource)
        project_id, _, account = resource.removeprefix("projects/").partition("/serviceAccounts/")
        for candidate in self._state.get("projects", []):
            if project_id not in ("-", candidate["projectId"], str(candidate.get("projectNumber", ""))):
                continue
            for sa in candidate.get("serviceAccounts", []):
                if account in (sa.get("email"), sa.get("uniqueId")):
                    return versioned_policy(sa.get("iamPolicy"), requested_version)
        raise permission_denied("serviceAccounts.getIamPolicy", resource)

    def locations(self, name: str, page_size: int, page_token: str) -> tuple[list[dict], str]:
        self.begin("locations.list", name)
        project = self.project("locations.list", _project_id(name))
        zones = project.get("locations")
        if zones is None:
            zones = sorted(
                {_zone(i["name"]) for i in _instances(project, "v1") + _instances(project, "v2")}
                | set(project.get("unreachableLocations", []))
            )
        locations = [{"name": f"projects/{project['projectId']}/locations/{z}", "locationId": z} for z in zones]
        return self.page(locations, page_size, page_token)

    def list_instances(
        self, generation: str, parent: str, page_size: int, page_token: str
    ) -> tuple[list[dict], str, list[str]]:
        self.begin(f"{generation}.instances.list", parent)
        project = self.project(f"{generation}.instances.list", _project_id(parent))
        zone = parent.rpartition("/locations/")[2]
        unreachable = [z for z in project.get("unreachableLocations", []) if zone in ("-", z)]
        instances = [
            _without_policy(i)
            for i in _instances(project, generation)
            if zone in ("-", _zone(i["name"])) and _zone(i["name"]) not in unreachable
        ]
        items, token = self.page(instances, page_size, page_token)
        return items, token, unreachable

    def get_instance_iam_policy(self, generation: str | None, resource: str, requested_version: int) -> dict:
        """IAM of a notebook instance; `generation` None looks in both (the gRPC IAMPolicy service is shared)."""
        project_id = _project_id(resource)
        found = None
        for candidate in self._state.get("projects", []):
            if candidate["projectId"] != project_id:
                continue
            for gen in (generation,) if generation else ("v1", "v2"):
                match = next((i for i in _instances(candidate, gen) if i.get("name") == resource), None)
                if match is not None:
                    found = gen, match
                    break
        call = f"{found[0] if found else generation or 'v1'}.instances.getIamPolicy"
        self.begin(call, resource)
        if found is None:
            raise permission_denied(call, resource)
        return versioned_policy(found[1].get("iamPolicy"), requested_version)

    def page(self, items: Sequence[dict], page_size: int, page_token: str) -> tuple[list[dict], str]:
        size = min(page_size or self.page_size, self.page_size)
        try:
            start = int(base64.urlsafe_b64decode(page_token.encode()).decode()) if page_token else 0
        except ValueError:
            raise ApiError(400, "Invalid page token.", reason="INVALID_PAGE_TOKEN") from None
        end = start + size
        token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else ""
        return [copy.deepcopy(i) for i in items[start:end]], token


def permission_denied(call: str, resource: str) -> ApiError:
    permission = PERMISSIONS[call]
    return ApiError(
        403,
        f"Permission '{permission}' denied on resource '{resource}' (or it may not exist).",
        reason="IAM_PERMISSION_DENIED",
        metadata={"permission": permission, "resource": resource},
    )


def versioned_policy(policy: Mapping[str, Any] | None, requested_version: int) -> dict[str, Any]:
    """The policy as the real service returns it for the requested version.

    A policy with conditional bindings is only readable at version 3; older versions cannot express the condition,
    and the service refuses rather than return a widened grant.
    """
    policy = copy.deepcopy(dict(policy or {}))
    bindings = policy.get("bindings", [])
    conditional = any(b.get("condition") for b in bindings)
    if conditional and requested_version < 3:
        raise ApiError(
            400,
            "Invalid IAM policy version requested: the policy has conditional role bindings; "
            "set options.requestedPolicyVersion to 3.",
            reason="INVALID_POLICY_VERSION",
        )
    policy["version"] = 3 if conditional else int(policy.get("version", 1) or 1)
    policy.setdefault("etag", ETAG)
    if not bindings:
        policy.pop("bindings", None)
    return policy


def _project_id(name: str) -> str:
    return name.removeprefix("projects/").split("/", 1)[0]


def _zone(name: str) -> str:
    return name.partition("/locations/")[2].split("/", 1)[0]


def _instances(project: Mapping[str, Any], generation: str) -> list[dict]:
    key = "notebookInstances" if generation == "v1" else "workbenchInstances"
    return list(project.get(key, []))


def _without_policy(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != "iamPolicy"}


def _service_account_view(project: Mapping[str, Any], account: Mapping[str, Any]) -> dict[str, Any]:
    email = account["email"]
    view = _without_policy(account)
    view.setdefault("name", f"projects/{project['projectId']}/serviceAccounts/{email}")
    view.setdefault("projectId", project["projectId"])
    view.setdefault("uniqueId", str(int(hashlib.sha256(email.encode()).hexdigest(), 16) % 10**21))
    return view
