"""Read organizations, folders and projects through Cloud Asset Inventory (`ListAssets`), into model objects.

One `ListAssets` call returns up to 1,000 assets with their IAM policies, across everything below the parent, where
the per-service reader needs one call per service account and per instance. Each (parent, content type, asset type)
is one paged stream; streams run concurrently, every page goes through the quota limiter and our retry, and each
asset is converted as it arrives (`AssetCollector`), so memory grows with what is kept, not with the pages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from auditor.live.assets import ASSET_TYPES, IAM_ASSET_TYPES, AssetCollector, AssetRecord
from auditor.live.calls import Call
from auditor.live.clients import Endpoints, is_loopback
from auditor.live.coverage import Coverage, Unread
from auditor.live.paging import PageTokens
from auditor.live.quota import LIST_ASSETS_QUOTA_RPM, RateLimiter, call_with_quota
from auditor.live.retry import RetryPolicy, read_error
from auditor.model import Intent, ReadError

PAGE_SIZE = 1000
"""ListAssets' largest page."""

AssetProgress = Callable[[int, int], None]
"""Called with (assets read so far, calls made so far) after each page."""


@dataclass(frozen=True, slots=True)
class AssetRead:
    """What a Cloud Asset Inventory read returned: the model, its failures, its coverage and what it cost."""

    parents: tuple[str, ...]
    intent: Intent
    errors: tuple[ReadError, ...]
    calls: int
    """ListAssets requests sent (retries included)."""
    assets: int
    coverage: Coverage = Coverage()
    """The parents read; a failed stream leaves its parent's part unknown (all of it, for a folder or an
    organization, whose projects are then unknown)."""

    @property
    def complete(self) -> bool:
        return not self.errors


def read_assets(
    parents: Sequence[str],
    *,
    endpoints: Endpoints | None = None,
    max_rpm: int = LIST_ASSETS_QUOTA_RPM,
    retry: RetryPolicy | None = None,
    concurrency: int = 8,
    progress: AssetProgress | None = None,
    client: Any = None,
) -> AssetRead:
    """Read everything the auditor needs below `parents` (`organizations/N`, `folders/N`, `projects/P`).

    Failures become `AssetRead.errors` (call `assets.list`); pages read before a failure are kept.
    """
    parents = tuple(dict.fromkeys(parents))
    own_client = client is None
    if own_client:
        client = make_asset_client(endpoints or Endpoints())
    read = _AssetRead(client, retry or RetryPolicy(), RateLimiter(max_rpm), progress)
    streams = [(parent, "RESOURCE", asset_type) for parent in parents for asset_type in ASSET_TYPES]
    streams += [(parent, "IAM_POLICY", asset_type) for parent in parents for asset_type in IAM_ASSET_TYPES]
    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="auditor-assets") as pool:
            for stream in streams:
                pool.submit(read.stream, *stream)
    finally:
        if own_client:
            client.transport.close()
    return AssetRead(
        parents=parents,
        intent=read.collector.result(),
        errors=tuple(sorted(set(read.errors), key=lambda e: (e.call, e.resource, e.message))),
        calls=read.calls,
        assets=read.collector.assets_read,
        coverage=Coverage(
            projects=frozenset(p.removeprefix("projects/") for p in parents if p.startswith("projects/")),
            nodes=frozenset(p for p in parents if not p.startswith("projects/")),
            unread=frozenset(read.unread),
        ),
    )


def make_asset_client(endpoints: Endpoints) -> Any:
    """`asset_v1.AssetServiceClient` on its default transport (gRPC): Google with ADC, or a simulator's channel."""
    from google.cloud import asset_v1

    if endpoints.grpc_endpoint:
        import grpc
        from google.cloud.asset_v1.services.asset_service.transports import AssetServiceGrpcTransport

        if not is_loopback(endpoints.grpc_endpoint):
            import sys

            print(f"auditor: warning: plain gRPC to {endpoints.grpc_endpoint} (not a loopback host)", file=sys.stderr)
        # Pages of 1,000 assets with their data can pass gRPC's default 4 MB receive limit.
        channel = grpc.insecure_channel(endpoints.grpc_endpoint, options=[("grpc.max_receive_message_length", -1)])
        return asset_v1.AssetServiceClient(transport=AssetServiceGrpcTransport(channel=channel))
    from auditor.live.clients import _default_credentials

    return asset_v1.AssetServiceClient(credentials=_default_credentials())


class _AssetRead:
    def __init__(self, client: Any, policy: RetryPolicy, limiter: RateLimiter, progress: AssetProgress | None) -> None:
        self._client = client
        self._policy = policy
        self._limiter = limiter
        self._progress = progress
        self._lock = threading.Lock()
        self.collector = AssetCollector()
        self.errors: list[ReadError] = []
        self.unread: set[Unread] = set()
        self.calls = 0

    def stream(self, parent: str, content_type: str, asset_type: str) -> None:
        from google.cloud import asset_v1
        from google.protobuf import json_format

        tokens = PageTokens()
        token = ""
        try:
            while True:
                request = asset_v1.ListAssetsRequest(
                    parent=parent,
                    asset_types=[asset_type],
                    content_type=asset_v1.ContentType[content_type],
                    page_size=PAGE_SIZE,
                    page_token=token,
                )
                # The pager is used for its first page only (its attributes are that response's): the limiter and
                # the retry must see every page request, which iterating the pager would hide.
                page = call_with_quota(
                    lambda request=request: self._client.list_assets(
                        request=request, retry=None, timeout=self._policy.attempt_timeout
                    ),
                    self._policy,
                    self._limiter,
                    on_retry=self._counted,
                )
                self._counted()
                for asset in page.assets:
                    self.collector.add(_record(asset_v1.Asset.pb(asset), json_format))
                if self._progress is not None:
                    self._progress(self.collector.assets_read, self.calls)
                token = tokens.advance(page.next_page_token)
                if not token:
                    return
        except Exception as error:  # noqa: BLE001 - every failure must reach the report
            project = parent.removeprefix("projects/") if parent.startswith("projects/") else None
            with self._lock:
                self.errors.append(read_error(Call.ASSETS.value, parent, error))
                self.unread.add(Unread(Call.ASSETS, project))

    def _counted(self, *_: object) -> None:
        with self._lock:
            self.calls += 1


def _record(asset: Any, json_format: Any) -> AssetRecord:
    """A protobuf `Asset` -> AssetRecord; only the parts present in this content type are converted."""
    data = None
    version = ""
    if asset.HasField("resource"):
        version = asset.resource.version
        data = json_format.MessageToDict(asset.resource.data)
    policy = json_format.MessageToDict(asset.iam_policy) if asset.HasField("iam_policy") else None
    return AssetRecord(asset.name, asset.asset_type, tuple(asset.ancestors), version, data, policy)
