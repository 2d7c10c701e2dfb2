"""Building the official Google clients, against Google (ADC) or a local simulator (anonymous, plain channels).

Every google/grpc import is inside a function: `auditor check` imports this package's modules without paying for
the client libraries (~0.2 s warm, ~3 s cold).
"""

from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from auditor.errors import LiveReadError

API_ENDPOINT_ENV = "AUDITOR_API_ENDPOINT"
GRPC_ENDPOINT_ENV = "AUDITOR_GRPC_ENDPOINT"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where to send calls; None means Google's default endpoint with Application Default Credentials."""

    api_endpoint: str | None = None
    """REST base URL such as `http://127.0.0.1:8080` (resourcemanager v3, notebooks v2)."""
    grpc_endpoint: str | None = None
    """`host:port` for a plain gRPC channel (IAM admin v1, notebooks v1)."""

    @classmethod
    def from_env(cls, api_endpoint: str | None = None, grpc_endpoint: str | None = None) -> Endpoints:
        """Explicit values (flags) win over `AUDITOR_API_ENDPOINT` / `AUDITOR_GRPC_ENDPOINT`."""
        return cls(
            api_endpoint or os.environ.get(API_ENDPOINT_ENV) or None,
            grpc_endpoint or os.environ.get(GRPC_ENDPOINT_ENV) or None,
        )


@dataclass(frozen=True, slots=True)
class Clients:
    """The Google API clients one live read uses, built once for its endpoints."""

    projects: Any
    """resourcemanager_v3.ProjectsClient (REST)."""
    iam: Any
    """iam_admin_v1.IAMClient (gRPC)."""
    notebooks_v1: Any
    """notebooks_v1.NotebookServiceClient (gRPC)."""
    notebooks_v2: Any
    """notebooks_v2.NotebookServiceClient (REST)."""

    def close(self) -> None:
        for client in (self.projects, self.iam, self.notebooks_v1, self.notebooks_v2):
            client.transport.close()


def make_clients(endpoints: Endpoints, *, pool_size: int = 16) -> Clients:
    from google.cloud import iam_admin_v1, notebooks_v1, notebooks_v2, resourcemanager_v3
    from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport
    from google.cloud.notebooks_v1.services.notebook_service.transports import NotebookServiceGrpcTransport

    for endpoint in (endpoints.api_endpoint, endpoints.grpc_endpoint):
        if endpoint and not is_loopback(endpoint):
            print(
                f"auditor: warning: sending unauthenticated, unencrypted requests to {endpoint} (not a loopback host)",
                file=sys.stderr,
            )
    adc = default_credentials(endpoints)

    def rest(client_type: Any) -> Any:
        return make_rest_client(client_type, endpoints, adc, pool_size)

    def grpc_client(client_type: Any, transport_type: Any) -> Any:
        return make_grpc_client(client_type, transport_type, endpoints, adc)

    return Clients(
        projects=rest(resourcemanager_v3.ProjectsClient),
        iam=grpc_client(iam_admin_v1.IAMClient, IAMGrpcTransport),
        notebooks_v1=grpc_client(notebooks_v1.NotebookServiceClient, NotebookServiceGrpcTransport),
        notebooks_v2=rest(notebooks_v2.NotebookServiceClient),
    )


def make_rest_client(client_type: Any, endpoints: Endpoints, credentials: Any, pool_size: int) -> Any:
    """A client on the REST transport: the simulator's endpoint with anonymous credentials, else Google's with
    `credentials` (ADC)."""
    if endpoints.api_endpoint:
        from google.auth.credentials import AnonymousCredentials

        client = client_type(
            credentials=AnonymousCredentials(),
            transport="rest",
            client_options={"api_endpoint": endpoints.api_endpoint},
        )
    else:
        client = client_type(credentials=credentials, transport="rest")
    _widen_connection_pool(client, pool_size)
    return client


def make_grpc_client(client_type: Any, transport_type: Any, endpoints: Endpoints, credentials: Any) -> Any:
    """A client on the gRPC transport: a plain channel to the simulator, else Google's with `credentials`."""
    if endpoints.grpc_endpoint:
        import grpc

        channel = grpc.insecure_channel(endpoints.grpc_endpoint)
        return client_type(transport=transport_type(channel=channel))
    return client_type(credentials=credentials)


def default_credentials(endpoints: Endpoints) -> Any:
    """ADC, unless both endpoints point at a simulator (then None: nothing is looked up)."""
    return None if endpoints.api_endpoint and endpoints.grpc_endpoint else _default_credentials()


def is_loopback(endpoint: str) -> bool:
    host = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _default_credentials() -> Any:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default()
    except DefaultCredentialsError as error:
        raise LiveReadError(
            "no Application Default Credentials: run `gcloud auth application-default login` "
            f"(or point --api-endpoint/--grpc-endpoint at a simulator): {error}"
        ) from None
    return credentials


def _widen_connection_pool(client: Any, size: int) -> None:
    """REST transports share one requests session with 10 pooled connections; concurrent reads need `size`.

    The session is a private attribute of the transport; when a client version lacks it, the default pool still
    works, only with more reconnects.
    """
    session = getattr(client.transport, "_session", None)
    if session is None:
        return
    from requests.adapters import HTTPAdapter

    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(size, 10))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
