"""Which live source answers a drift or access audit, and reading it: per-service APIs, Cloud Asset Inventory, or
export files. Commands call `read_live` and get one `LiveState` whichever source was used.

The `auto` rule: Cloud Asset Inventory when any `--organization` or `--folder` is asked for, or more than
`AUTO_API_PROJECTS` projects (one `ListAssets` page carries 1,000 assets; the per-service APIs need about
40 calls per project); the per-service APIs for a few projects, where they need no Cloud Asset API enabled.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from auditor.errors import UsageError
from auditor.live.clients import Endpoints
from auditor.live.coverage import Coverage, hierarchy_nodes
from auditor.live.retry import RetryPolicy
from auditor.model import InputError, Intent, ReadError

AUTO_API_PROJECTS = 5
"""`auto` reads up to this many projects (and no folder or organization) through the per-service APIs."""


class Source(enum.Enum):
    AUTO = "auto"
    APIS = "apis"
    ASSET_INVENTORY = "asset-inventory"


@dataclass(frozen=True, slots=True)
class Scopes:
    """What to read, as given on the command line (each repeatable)."""

    organizations: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()

    @classmethod
    def parse(cls, organizations: Iterable[str], folders: Iterable[str], projects: Iterable[str]) -> Scopes:
        def ids(values: Iterable[str], prefix: str, what: str) -> tuple[str, ...]:
            found = []
            for value in values:
                ident = value.strip().removeprefix(prefix)
                if not ident or "/" in ident:
                    raise UsageError(f"{what} {value!r}: expected an id (e.g. 123456789012) or `{prefix}ID`")
                found.append(ident)
            return tuple(dict.fromkeys(found))

        return cls(
            ids(organizations, "organizations/", "--organization"),
            ids(folders, "folders/", "--folder"),
            ids(projects, "projects/", "--project"),
        )

    @property
    def parents(self) -> tuple[str, ...]:
        """`organizations/O`, `folders/F`, `projects/P`: ListAssets parents."""
        return (
            *(f"organizations/{o}" for o in self.organizations),
            *(f"folders/{f}" for f in self.folders),
            *(f"projects/{p}" for p in self.projects),
        )

    def __bool__(self) -> bool:
        return bool(self.organizations or self.folders or self.projects)


def choose(source: Source, scopes: Scopes) -> Source:
    """The concrete source for `auto` (see the module docstring); an explicit choice stands."""
    if source is not Source.AUTO:
        return source
    if scopes.organizations or scopes.folders or len(scopes.projects) > AUTO_API_PROJECTS:
        return Source.ASSET_INVENTORY
    return Source.APIS


@dataclass(frozen=True, slots=True)
class LiveState:
    """One live read, whatever its source."""

    source: str
    """`apis`, `asset-inventory` or `export`."""
    intent: Intent
    errors: tuple[ReadError | InputError, ...]
    """Failed reads (and, for exports, unreadable files or lines): the report is incomplete."""
    coverage: Coverage
    """What was read and which reads failed: drift claims nothing about what was not read."""
    projects: tuple[str, ...]
    """Project ids read (for drift: declared resources elsewhere are not compared)."""
    calls: int = 0
    assets: int = 0
    labels: tuple[str, ...] = field(default=())
    """What was read, for the report header (`organizations/1`, `projects/p`, an export path)."""
    gone: tuple[str, ...] = ()
    """Resources listed, then deleted before the read finished (a 404 on their IAM): absent, not unread."""


ProgressFactory = Callable[[str], AbstractContextManager[Callable[[int, int], None] | None]]
"""`terminal_progress`-like: a description -> a context manager yielding a (done, total) callback or None."""


def read_live(
    scopes: Scopes,
    source: Source,
    *,
    endpoints: Endpoints,
    retry: RetryPolicy,
    concurrency: int = 16,
    max_rpm: int = 100,
    exports: Sequence[str] = (),
    progress: ProgressFactory | None = None,
) -> LiveState:
    if exports:
        if scopes:
            raise UsageError("--from-export reads the export files only: leave out --organization/--folder/--project")
        from auditor.live.exports import read_exports

        exported: LiveState = read_exports(exports)  # google-cloud-storage has no stubs: mypy sees Any
        return exported
    if not scopes:
        raise UsageError("name what to read: --organization ORG_ID, --folder FOLDER_ID or --project ID")
    progress = progress or _no_progress
    if choose(source, scopes) is Source.ASSET_INVENTORY:
        return _read_inventory(scopes, endpoints, retry, concurrency, max_rpm, progress)
    return _read_apis(scopes, endpoints, retry, concurrency, progress)


def _read_inventory(
    scopes: Scopes,
    endpoints: Endpoints,
    retry: RetryPolicy,
    concurrency: int,
    max_rpm: int,
    progress: ProgressFactory,
) -> LiveState:
    from auditor.live.asset_reader import read_assets

    with progress("reading assets") as update:
        read = read_assets(
            scopes.parents,
            endpoints=endpoints,
            max_rpm=max_rpm,
            retry=retry,
            concurrency=min(concurrency, 8),
            progress=(lambda assets, calls: update(assets, assets)) if update is not None else None,
        )
    projects = tuple(dict.fromkeys((*(str(p.id) for p in read.intent.projects), *scopes.projects)))
    return LiveState(
        "asset-inventory",
        read.intent,
        read.errors,
        read.coverage | Coverage(projects=frozenset(projects), nodes=hierarchy_nodes(read.intent)),
        projects,
        read.calls,
        read.assets,
        scopes.parents,
    )


def _read_apis(
    scopes: Scopes, endpoints: Endpoints, retry: RetryPolicy, concurrency: int, progress: ProgressFactory
) -> LiveState:
    from auditor.live.reader import read_project

    parts: list[Intent] = []
    errors: list[ReadError] = []
    coverage = Coverage()
    projects = list(scopes.projects)
    hierarchy_calls = 0
    if scopes.organizations or scopes.folders:
        from auditor.live.hierarchy_reader import read_hierarchy

        tree = read_hierarchy(scopes, endpoints=endpoints, retry=retry, concurrency=concurrency)
        parts.append(tree.intent)
        errors.extend(tree.errors)
        coverage |= tree.coverage
        projects.extend(tree.projects)
        hierarchy_calls = tree.calls
    calls = [hierarchy_calls]

    def counted(update: Callable[[int, int], None] | None) -> Callable[[int, int], None]:
        def on_call(finished: int, started: int) -> None:
            calls[-1] = finished
            if update is not None:
                update(finished, started)

        return on_call

    read: dict[str, str | None] = {}
    """Project id -> number, of the projects read so far."""
    gone: list[str] = []
    # Ids first, then numbers: a number whose project was already read by id is not read again.
    for project in sorted(dict.fromkeys(projects), key=str.isdigit):
        if project in read or project in read.values():
            continue
        calls.append(0)
        with progress(f"reading {project}") as update:
            live = read_project(
                project, endpoints=endpoints, concurrency=concurrency, progress=counted(update), retry=retry
            )
        if live.project_id in read:
            continue  # a number that resolved to a project read by id (whose number was unknown then)
        read[live.project_id] = live.project_number
        parts.append(live.intent)
        errors.extend(live.errors)
        gone.extend(live.gone)
        coverage |= live.coverage
    return LiveState(
        "apis",
        merge_intents(parts),
        tuple(errors),
        coverage,
        tuple(read),
        sum(calls),
        0,
        scopes.parents,
        tuple(gone),
    )


def merge_intents(parts: Sequence[Intent]) -> Intent:
    organization = next((p.organization for p in parts if p.organization), None)
    return Intent(
        bindings=tuple(b for p in parts for b in p.bindings),
        service_accounts=tuple(a for p in parts for a in p.service_accounts),
        keys=tuple(k for p in parts for k in p.keys),
        instances=tuple(i for p in parts for i in p.instances),
        custom_roles=tuple({str(r.role): r for p in parts for r in p.custom_roles}.values()),
        projects=tuple({str(r.id): r for p in parts for r in p.projects}.values()),
        compute_instances=tuple(v for p in parts for v in p.compute_instances),
        folders=tuple({f.name: f for p in parts for f in p.folders}.values()),
        organization=organization,
    )


def _no_progress(description: str) -> AbstractContextManager[None]:
    return contextlib.nullcontext()
