"""The simulator's REST front end: the JSON/HTTP paths the REST transports of the Python clients call.

resourcemanager v3 and notebooks v2 use REST in the auditor. Errors use Google's envelope
`{"error": {"code", "message", "status", "details": [ErrorInfo]}}`, which google-api-core turns into the same
exceptions (with `reason` and `metadata`) as the real service. Anything that would mutate is answered 405 and logged.
"""

from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from auditor.live.simulator.state import ApiError, SimulatedCloud

_PROJECT = r"projects/[^/:]+"
_INSTANCE = r"projects/[^/]+/locations/[^/]+/instances/[^/:]+"
_READ_ACTIONS = ("getIamPolicy", "testIamPermissions")
"""POST verbs that only read; every other POST is a mutation."""


def make_server(cloud: SimulatedCloud, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    handler = type("SimulatorHandler", (_Handler,), {"cloud": cloud})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


class _Handler(BaseHTTPRequestHandler):
    cloud: SimulatedCloud
    protocol_version = "HTTP/1.1"  # keep-alive: the clients' requests sessions reuse connections

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silent: the foreground command prints one JSON line and nothing else on stdout."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            body = self._body()
            self._reply(200, self._route(method, url.path, query, body))
        except ApiError as error:
            headers = {"Retry-After": str(max(0, round(error.retry_after)))} if error.retry_after is not None else {}
            self._reply(error.code, envelope(error), headers)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            raise ApiError(400, "Invalid JSON payload received.") from None
        return body if isinstance(body, dict) else {}

    def _route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        cloud = self.cloud
        action = path.rpartition(":")[2] if ":" in path.rpartition("/")[2] else ""
        if method != "GET" and action not in _READ_ACTIONS:
            cloud.record_mutation("rest", method, path)
            raise ApiError(405, f"The simulator is read-only: {method} {path} is not allowed.", reason="READ_ONLY")
        if m := re.fullmatch(rf"/v3/({_PROJECT})", path):
            return cloud.get_project(m[1].removeprefix("projects/"))
        if m := re.fullmatch(rf"/v3/({_PROJECT}):getIamPolicy", path):
            return cloud.get_project_iam_policy(m[1].removeprefix("projects/"), _requested_version(query, body))
        if m := re.fullmatch(r"/v2/(projects/[^/]+/locations/[^/]+)/instances", path):
            items, token, unreachable = cloud.list_instances(
                "v2", m[1], int(query.get("pageSize") or 0), query.get("pageToken", "")
            )
            return _omit_empty({"instances": items, "nextPageToken": token, "unreachable": unreachable})
        if m := re.fullmatch(rf"/v2/({_INSTANCE}):getIamPolicy", path):
            return cloud.get_instance_iam_policy("v2", m[1], _requested_version(query, body))
        answer = cloud.resource_manager.route(path, query, lambda: _requested_version(query, body))
        if answer is not None:
            return answer
        raise ApiError(404, f"The simulator does not serve {method} {path}.", reason="NOT_FOUND")

    def _reply(self, code: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        for header, value in (headers or {}).items():
            self.send_header(header, value)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout, or the simulator stopping): nobody to tell


def envelope(error: ApiError) -> dict[str, Any]:
    details = []
    if error.reason:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": error.reason,
                "domain": "googleapis.com",
                "metadata": error.metadata,
            }
        )
    if error.retry_after is not None:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{error.retry_after:g}s"})
    return {"error": {"code": error.code, "message": error.message, "status": error.status, "details": details}}


def _requested_version(query: dict[str, str], body: dict[str, Any]) -> int:
    """`options.requestedPolicyVersion` from the query (GET) or the body (POST); absent means 0, as on the wire."""
    raw = query.get("options.requestedPolicyVersion") or (body.get("options") or {}).get("requestedPolicyVersion")
    try:
        return int(raw or 0)
    except (TypeError, ValueError):
        raise ApiError(400, f"Invalid requestedPolicyVersion {raw!r}.") from None


def _omit_empty(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if v not in ("", [], None)}
