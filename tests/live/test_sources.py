"""Choosing the live source (`--source auto`) and parsing the scopes."""

from __future__ import annotations

import pytest

from auditor.errors import UsageError
from auditor.live.calls import Call
from auditor.live.coverage import Coverage, Unread
from auditor.live.sources import AUTO_API_PROJECTS, Scopes, Source, choose
from auditor.model import ScopeKind


def test_auto_uses_the_apis_for_a_few_projects_and_the_inventory_otherwise() -> None:
    few = Scopes(projects=tuple(f"p{i}" for i in range(AUTO_API_PROJECTS)))
    many = Scopes(projects=tuple(f"p{i}" for i in range(AUTO_API_PROJECTS + 1)))
    assert choose(Source.AUTO, few) is Source.APIS
    assert choose(Source.AUTO, many) is Source.ASSET_INVENTORY
    assert choose(Source.AUTO, Scopes(folders=("1",))) is Source.ASSET_INVENTORY
    assert choose(Source.AUTO, Scopes(organizations=("1",), projects=("p",))) is Source.ASSET_INVENTORY
    assert choose(Source.APIS, Scopes(organizations=("1",))) is Source.APIS


def test_scopes_accept_ids_or_resource_names_and_reject_others() -> None:
    scopes = Scopes.parse(["organizations/12", "12"], ["folders/3"], ["p", "projects/q"])
    assert scopes.parents == ("organizations/12", "folders/3", "projects/p", "projects/q")
    with pytest.raises(UsageError):
        Scopes.parse([], ["projects/x/folders/3"], [])
    with pytest.raises(UsageError):
        Scopes.parse([""], [], [])


def test_a_failed_organization_read_leaves_everything_unread() -> None:
    from auditor.drift.coverage import Audited
    from auditor.drift.keys import Canon, ScopeKey

    read = Coverage(projects=frozenset({"p", "q"}), nodes=frozenset({"organizations/1"}))
    keys = [
        ScopeKey(ScopeKind.PROJECT, "p"),
        ScopeKey(ScopeKind.SERVICE_ACCOUNT, "sa@q.iam.gserviceaccount.com"),
        ScopeKey(ScopeKind.WORKBENCH_INSTANCE, "projects/p/locations/z/instances/i"),
        ScopeKey(ScopeKind.ORGANIZATION, "organizations/1"),
    ]
    assert all(Audited(read, Canon())(key) for key in keys)
    organization_failed = read | Coverage(unread=frozenset({Unread(Call.ASSETS)}))
    assert not any(Audited(organization_failed, Canon())(key, listing=listing) for key in keys for listing in (0, 1))
    project_failed = read | Coverage(unread=frozenset({Unread(Call.ASSETS, "p")}))
    assert [Audited(project_failed, Canon())(key) for key in keys] == [False, True, False, True]
