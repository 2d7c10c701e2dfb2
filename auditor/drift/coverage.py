"""Where an absence means something: the live read's coverage asked about one canonical scope.

Drift may call a grant or an instance missing, or a live one unmanaged, only where the read covered it: a project
that was read, with no failed read that would have returned that scope's IAM (or, for `listing`, the resource).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import assert_never

from auditor.drift.keys import Canon, ScopeKey
from auditor.live.calls import Call
from auditor.live.coverage import Coverage, Unread, hierarchy_nodes
from auditor.model import Intent, ScopeKind

_EVERYTHING_BELOW = frozenset({Call.ASSETS, Call.FOLDERS, Call.PROJECTS})
"""Listings whose failure, when not about one project, leaves every project below (so everything) unknown."""


class Audited:
    """Answers "was this scope read?" for one comparison."""

    def __init__(self, coverage: Coverage, canon: Canon) -> None:
        self._projects = frozenset(canon.project(p) for p in coverage.projects)
        self._nodes = coverage.nodes
        self._unread = tuple(
            Unread(u.call, canon.project(u.project) if u.project else None, u.item) for u in coverage.unread
        )
        self._everything_unread = any(u.project is None and u.call in _EVERYTHING_BELOW for u in self._unread)
        self._canon = canon

    def __call__(self, key: ScopeKey | None, *, listing: bool = False) -> bool:
        """Whether the read covered this scope's IAM (with `listing`: the resource's existence and configuration).
        A failed IAM read leaves the listed resource comparable. An unknown scope (None) might be one that was read.
        """
        if key is None:
            return True
        if self._everything_unread or any(_leaves_unknown(u, key, listing) for u in self._unread):
            return False
        project = key.project
        if project is not None:
            return project in self._projects
        return key.name in self._nodes

    def parent_read(self, parent: str) -> bool:
        """Whether `parent` (`projects/P`, `organizations/O`) is one the read was about."""
        project = self._canon.project(parent) if parent.startswith("projects/") else None
        return project in self._projects if project is not None else parent in self._nodes

    def roles_read(self, parent: str) -> bool:
        """Whether the custom roles of `parent` were listed completely: the parent was read and neither its
        `roles.list` nor an asset listing covering it failed (nor did an export leave them out). Only then is a
        role missing."""
        project = self._canon.project(parent) if parent.startswith("projects/") else None
        return self.parent_read(parent) and not any(_hides_roles(u, project, parent) for u in self._unread)


def _leaves_unknown(unread: Unread, key: ScopeKey, listing: bool) -> bool:
    """Whether this failed read would have told about `key` (its IAM; with `listing`, the resource itself)."""
    call = unread.call
    here = key.project == unread.project
    match call:
        case Call.PROJECT | Call.ROLES:
            return False  # the number only labels the report; custom roles ask `roles_read`
        case Call.ORGANIZATION_IAM | Call.FOLDER_IAM:
            return not listing and key.name == unread.item
        case Call.ASSETS | Call.FOLDERS | Call.PROJECTS:
            return unread.project is None or here
        case Call.PROJECT_IAM:
            return here and key.kind is ScopeKind.PROJECT and not listing
        case Call.SERVICE_ACCOUNTS:
            return here and key.kind is ScopeKind.SERVICE_ACCOUNT
        case Call.SERVICE_ACCOUNT_IAM:
            return here and key.kind is ScopeKind.SERVICE_ACCOUNT and not listing and key.name == unread.item
        case Call.LOCATIONS:
            return here and key.kind is ScopeKind.NOTEBOOK_INSTANCE
        case Call.V1_INSTANCES | Call.V2_INSTANCES:
            return here and key.kind is _INSTANCE_KIND[call] and unread.item in (None, key.zone)
        case Call.V1_INSTANCE_IAM | Call.V2_INSTANCE_IAM:
            return here and key.kind is _INSTANCE_KIND[call] and not listing and key.name == unread.item
        case _:
            assert_never(call)


def _hides_roles(unread: Unread, project: str | None, parent: str) -> bool:
    """Whether this failed read would have listed the custom roles of `parent` (of `project`, for a project)."""
    if unread.call is Call.ROLES:
        return unread.project == project and (project is not None or unread.item == parent)
    return unread.call is Call.ASSETS and unread.project in (None, project)


_INSTANCE_KIND = {
    Call.V1_INSTANCES: ScopeKind.NOTEBOOK_INSTANCE,
    Call.V1_INSTANCE_IAM: ScopeKind.NOTEBOOK_INSTANCE,
    Call.V2_INSTANCES: ScopeKind.WORKBENCH_INSTANCE,
    Call.V2_INSTANCE_IAM: ScopeKind.WORKBENCH_INSTANCE,
}


def inferred(live: Intent, keys: Iterable[ScopeKey]) -> Coverage:
    """For callers without a read's coverage: the projects and nodes the live state shows, all read completely."""
    keys = list(keys)
    projects = {str(p.id) for p in live.projects} | {k.project for k in keys if k.project is not None}
    projects |= {sa.project for sa in live.service_accounts if isinstance(sa.project, str)}
    nodes = hierarchy_nodes(live) | {k.name for k in keys if k.project is None}
    return Coverage(projects=frozenset(projects), nodes=nodes)
