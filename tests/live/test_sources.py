"""Choosing the live source (`--source auto`) and parsing the scopes."""

from __future__ import annotations

import pytest

from auditor.errors import UsageError
from auditor.live.sources import AUTO_API_PROJECTS, Scopes, Source, choose, unread_below
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
    assert {scope.kind for scope in unread_below("organizations/1")} == set(ScopeKind)
    assert {scope.name for scope in unread_below("projects/p")} >= {"p", "*@p.iam.gserviceaccount.com"}
