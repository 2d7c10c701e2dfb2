"""The simulator's gRPC front end: the services the gRPC-only Python clients call.

IAM admin v1 and notebooks v1 have no REST transport in the Python clients, so they are served here, together with
the shared `google.iam.v1.IAMPolicy` (instance IAM of notebooks v1/v2) and `google.cloud.location.Locations`. No
servicer classes ship for these APIs; one generic handler maps method paths to functions over raw protobuf messages.

Mutating methods are refused with UNIMPLEMENTED (the gRPC counterpart of REST's 405: "this server does not do
that") and logged, so a test can prove the auditor never calls one. PERMISSION_DENIED was not chosen because the
reader treats it as a missing permission to report, which would hide the bug instead of failing loudly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc
from google.cloud import asset_v1, iam_admin_v1, notebooks_v1, notebooks_v2
from google.cloud.location import locations_pb2
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.protobuf import any_pb2, duration_pb2, json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from auditor.live.simulator.state import ApiError, SimulatedCloud

_GRPC_CODES = {
    400: code_pb2.INVALID_ARGUMENT,
    401: code_pb2.UNAUTHENTICATED,
    403: code_pb2.PERMISSION_DENIED,
    404: code_pb2.NOT_FOUND,
    405: code_pb2.UNIMPLEMENTED,
    409: code_pb2.ABORTED,
    429: code_pb2.RESOURCE_EXHAUSTED,
    500: code_pb2.INTERNAL,
    501: code_pb2.UNIMPLEMENTED,
    503: code_pb2.UNAVAILABLE,
    504: code_pb2.DEADLINE_EXCEEDED,
}

_SERVICES = (
    "google.iam.admin.v1.IAM",
    "google.cloud.notebooks.v1.NotebookService",
    "google.cloud.notebooks.v2.NotebookService",
    "google.iam.v1.IAMPolicy",
    "google.cloud.location.Locations",
    "google.cloud.asset.v1.AssetService",
)
_READ_PREFIXES = (
    "Get",
    "List",
    "Query",
    "Search",
    "TestIamPermissions",
    "Lint",
    "IsInstance",
    "CheckInstance",
    "BatchGet",
    "Analyze",
    "QueryAssets",
)
"""Method name prefixes that only read; any other method of a served service is a mutation (ExportAssets writes
to Cloud Storage, so it counts as one too)."""


def make_server(cloud: SimulatedCloud, host: str = "127.0.0.1", port: int = 0, workers: int = 64) -> tuple[Any, int]:
    """A started-not gRPC server bound to host:port (0 = any free port); returns (server, port)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sim-grpc"))
    server.add_generic_rpc_handlers((_Handler(cloud),))
    port = server.add_insecure_port(f"{host}:{port}")
    return server, port


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, cloud: SimulatedCloud) -> None:
        self._cloud = cloud
        self._methods: dict[str, tuple[Callable[[Any], Any], type]] = {
            "/google.iam.admin.v1.IAM/ListServiceAccounts": (
                self._list_service_accounts,
                iam_admin_v1.ListServiceAccountsRequest.pb(),
            ),
            "/google.iam.admin.v1.IAM/GetIamPolicy": (self._service_account_iam, iam_policy_pb2.GetIamPolicyRequest),
            "/google.iam.v1.IAMPolicy/GetIamPolicy": (self._instance_iam, iam_policy_pb2.GetIamPolicyRequest),
            "/google.cloud.location.Locations/ListLocations": (
                self._list_locations,
                locations_pb2.ListLocationsRequest,
            ),
            "/google.cloud.asset.v1.AssetService/ListAssets": (self._list_assets, asset_v1.ListAssetsRequest.pb()),
            "/google.iam.admin.v1.IAM/ListRoles": (self._list_roles, iam_admin_v1.ListRolesRequest.pb()),
        }
        for generation, notebooks in (("v1", notebooks_v1), ("v2", notebooks_v2)):
            self._methods[f"/google.cloud.notebooks.{generation}.NotebookService/ListInstances"] = (
                functools.partial(self._list_instances, generation, notebooks.ListInstancesResponse.pb()),
                notebooks.ListInstancesRequest.pb(),
            )
        self._asset_messages: dict[tuple[str, str], Any] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        if method in self._methods:
            function, request_type = self._methods[method]
            return grpc.unary_unary_rpc_method_handler(
                self._guard(function),
                request_deserializer=request_type.FromString,
                response_serializer=lambda message: message.SerializeToString(),
            )
        service, _, name = method.lstrip("/").partition("/")
        if service in _SERVICES and not name.startswith(_READ_PREFIXES):
            return grpc.unary_unary_rpc_method_handler(self._refuse(method))
        return None  # an unserved read: grpc answers UNIMPLEMENTED

    def _guard(self, function: Callable[[Any], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                return function(request)
            except ApiError as error:
                context.abort_with_status(rpc_status.to_status(_status(error)))

        return call

    def _refuse(self, method: str) -> Callable[[bytes, grpc.ServicerContext], Any]:
        def call(request: bytes, context: grpc.ServicerContext) -> Any:
            self._cloud.record_mutation("grpc", method.rpartition("/")[2], method)
            error = ApiError(405, f"The simulator is read-only: {method} is refused.", reason="READ_ONLY")
            context.abort_with_status(rpc_status.to_status(_status(error)))

        return call

    # -- reads ---------------------------------------------------------------------------------------------------

    def _list_service_accounts(self, request: Any) -> Any:
        accounts, token = self._cloud.list_service_accounts(request.name, request.page_size, request.page_token)
        return _parse({"accounts": accounts, "nextPageToken": token}, iam_admin_v1.ListServiceAccountsResponse.pb())

    def _service_account_iam(self, request: Any) -> Any:
        version = request.options.requested_policy_version
        return _parse(self._cloud.get_service_account_iam_policy(request.resource, version), policy_pb2.Policy)

    def _list_instances(self, generation: str, response_type: type, request: Any) -> Any:
        items, token, unreachable = self._cloud.list_instances(
            generation, request.parent, request.page_size, request.page_token
        )
        return _parse({"instances": items, "nextPageToken": token, "unreachable": unreachable}, response_type)

    def _instance_iam(self, request: Any) -> Any:
        version = request.options.requested_policy_version
        return _parse(self._cloud.get_instance_iam_policy(None, request.resource, version), policy_pb2.Policy)

    def _list_locations(self, request: Any) -> Any:
        locations, token = self._cloud.locations(request.name, request.page_size, request.page_token)
        return _parse({"locations": locations, "nextPageToken": token}, locations_pb2.ListLocationsResponse)

    def _list_assets(self, request: Any) -> Any:
        content_type = asset_v1.ContentType(request.content_type).name
        assets, token = self._cloud.inventory.list_assets(
            request.parent, list(request.asset_types), content_type, request.page_size, request.page_token
        )
        response = asset_v1.ListAssetsResponse.pb()(next_page_token=token)
        response.assets.extend(self._asset_message(asset, content_type) for asset in assets)
        return response

    def _asset_message(self, asset: Any, content_type: str) -> Any:
        """Assets parsed once per content type: converting JSON to protobuf is the simulator's hot path at scale."""
        key = (asset.name, content_type)
        message = self._asset_messages.get(key)
        if message is None:
            message = _parse(asset.as_json(content_type), asset_v1.Asset.pb())
            self._asset_messages[key] = message
        return message

    def _list_roles(self, request: Any) -> Any:
        full = request.view == iam_admin_v1.RoleView.FULL
        roles, token = self._cloud.inventory.list_roles(request.parent, full, request.page_size, request.page_token)
        return _parse({"roles": roles, "nextPageToken": token}, iam_admin_v1.ListRolesResponse.pb())


def _parse(payload: dict[str, Any], message_type: type) -> Any:
    """State JSON (real API field names) -> protobuf; fields the proto lacks are dropped, as a real server's are."""
    return json_format.ParseDict(payload, message_type(), ignore_unknown_fields=True)


def _status(error: ApiError) -> status_pb2.Status:
    details = []
    if error.reason:
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=error.reason, domain="googleapis.com", metadata=error.metadata))
        details.append(info)
    if error.retry_after is not None:
        retry = any_pb2.Any()
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(error.retry_after * 1e9))
        retry.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        details.append(retry)
    return status_pb2.Status(code=_GRPC_CODES.get(error.code, code_pb2.UNKNOWN), message=error.message, details=details)
