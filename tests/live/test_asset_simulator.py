"""The simulator's Cloud Asset Inventory and ListRoles behave as the real API does, through the real clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.live.org_state import ML_FOLDER, ORG, org_state

pytest.importorskip("google.cloud.asset_v1")


@pytest.fixture(scope="module")
def running() -> Iterator[Any]:
    from auditor.live.simulator import start_simulator

    with start_simulator(org_state()) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def client(running: Any) -> Any:
    import grpc
    from google.cloud import asset_v1
    from google.cloud.asset_v1.services.asset_service.transports import AssetServiceGrpcTransport

    return asset_v1.AssetServiceClient(
        transport=AssetServiceGrpcTransport(channel=grpc.insecure_channel(running.grpc_endpoint))
    )


def test_pages_follow_the_page_size_and_the_token_advances(client: Any) -> None:
    pager = client.list_assets(request={"parent": f"organizations/{ORG}", "content_type": "RESOURCE", "page_size": 2})
    pages = list(pager.pages)
    names = [asset.name for page in pages for asset in page.assets]
    # assetPageSize 3 caps the page; a 2-asset page is honoured; every asset exactly once.
    assert all(len(page.assets) <= 2 for page in pages) and len(pages) > 3
    assert len(names) == len(set(names))
    whole = [a.name for a in client.list_assets(request={"parent": f"organizations/{ORG}", "page_size": 1000})]
    assert sorted(whole) == sorted(names)


def test_asset_types_filter_and_regex(client: Any) -> None:
    types = {
        a.asset_type
        for a in client.list_assets(request={"parent": f"organizations/{ORG}", "asset_types": ["iam.googleapis.com.*"]})
    }
    assert types == {"iam.googleapis.com/ServiceAccount", "iam.googleapis.com/Role"}
    projects = list(
        client.list_assets(
            request={"parent": ML_FOLDER, "asset_types": ["cloudresourcemanager.googleapis.com/Project"]}
        )
    )
    assert sorted(a.name.rpartition("/")[2] for a in projects) == ["1001", "1002"]  # the folder's projects only


def test_content_types_and_ancestors(client: Any) -> None:
    parent = {"parent": "projects/ml-a", "asset_types": ["notebooks.googleapis.com/Instance"]}
    resources = list(client.list_assets(request={**parent, "content_type": "RESOURCE"}))
    assert {a.resource.version for a in resources} == {"v1", "v2"}
    assert all(not a.iam_policy.bindings for a in resources)
    assert list(resources[0].ancestors) == ["projects/1001", ML_FOLDER, f"organizations/{ORG}"]
    policies = list(client.list_assets(request={**parent, "content_type": "IAM_POLICY"}))
    # Only assets with a policy come back, without their resource.
    assert [a.name for a in policies] == [
        "//notebooks.googleapis.com/projects/ml-a/locations/europe-west4-a/instances/wb"
    ]
    assert not policies[0].resource.data and policies[0].iam_policy.bindings[0].role == "roles/notebooks.viewer"
    bare = list(client.list_assets(request=parent))
    assert all(not a.resource.data and not a.iam_policy.bindings for a in bare)


def test_unknown_parent_is_denied(client: Any) -> None:
    from google.api_core import exceptions

    with pytest.raises(exceptions.PermissionDenied):
        list(client.list_assets(request={"parent": "folders/999"}))


def test_export_and_feeds_are_refused_and_logged(running: Any, client: Any) -> None:
    from google.api_core import exceptions

    with pytest.raises(exceptions.MethodNotImplemented):
        client.export_assets(request={"parent": f"organizations/{ORG}"})
    assert [m.method for m in running.mutations][-1:] == ["ExportAssets"]


def test_list_roles_full_and_basic(running: Any) -> None:
    import grpc
    from google.cloud import iam_admin_v1
    from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

    iam = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=grpc.insecure_channel(running.grpc_endpoint)))
    full = list(iam.list_roles(request={"parent": "projects/ml-a", "view": iam_admin_v1.RoleView.FULL}))
    assert [r.name for r in full] == ["projects/ml-a/roles/nbAdminLite"]
    assert "notebooks.instances.setIamPolicy" in full[0].included_permissions
    basic = list(iam.list_roles(request={"parent": f"organizations/{ORG}"}))
    assert [r.name for r in basic] == [f"organizations/{ORG}/roles/starter"] and not basic[0].included_permissions
