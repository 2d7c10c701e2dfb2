"""Read one live project into model objects: project IAM, service accounts and their IAM, v1 and v2 instances and
their IAM, concurrently, through the official clients.

Every call has our retry and a timeout; what still fails is a `ReadError` in the result, never a silent gap.
Independent reads run on a thread pool, and a list call queues the per-item IAM reads as each page arrives, so the
wall time is about the longest chain of dependent calls plus the fan-out divided by the concurrency.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from auditor.live.calls import Call
from auditor.live.clients import Clients, Endpoints, make_clients
from auditor.live.coverage import Coverage, Unread
from auditor.live.normalise import bindings_from_policy, instance_v1, instance_v2, project_scope, service_account
from auditor.live.paging import PageTokens, advancing
from auditor.live.retry import RetryPolicy, make_retry, read_error
from auditor.model import (
    Binding,
    CustomRole,
    Intent,
    Location,
    NotebookInstance,
    Project,
    ReadError,
    Scope,
    ScopeKind,
    ServiceAccount,
)

Progress = Callable[[int, int], None]
"""Called with (calls finished, calls started so far) after each call; the total grows as lists return pages."""

PAGE_SIZE = 100
"""The largest page IAM admin and notebooks serve."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LiveProject:
    """One project as read live through the per-service APIs."""

    project_id: str
    project_number: str | None
    """None when `projects.get` failed (then `errors` says why)."""
    intent: Intent
    """Everything read, as the same model objects Terraform produces (bindings with `Authority.LIVE`)."""
    errors: tuple[ReadError, ...]
    gone: tuple[str, ...] = ()
    """Items listed and then deleted before their IAM policy was read (404): absent from `intent`, not an error."""
    coverage: Coverage = Coverage()
    """What was read and which reads failed, for drift (the same failures as `errors`, typed)."""

    @property
    def complete(self) -> bool:
        return not self.errors


def read_project(
    project_id: str,
    *,
    endpoints: Endpoints | None = None,
    concurrency: int = 16,
    progress: Progress | None = None,
    retry: RetryPolicy | None = None,
) -> LiveProject:
    """Read `project_id`; failures become `LiveProject.errors`. Raises LiveReadError only when no client can be built
    (no credentials)."""
    concurrency = max(1, concurrency)
    clients = make_clients(endpoints or Endpoints(), pool_size=concurrency)
    try:
        with _Fanout(concurrency, progress) as fanout:
            read = _ProjectRead(project_id, clients, retry or RetryPolicy(), fanout)
            read.start()
            fanout.wait()
        return read.result()
    finally:
        clients.close()


class _Fanout:
    """A thread pool whose tasks may queue more tasks; `wait()` returns when none is left.

    Tasks never wait on other tasks, so a pool of one thread cannot deadlock.
    """

    def __init__(self, workers: int, progress: Progress | None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="auditor-read")
        self._progress = progress
        self._idle = threading.Condition()
        self._pending = 0
        self._started = 0
        self._finished = 0

    def submit(self, task: Callable[..., None], *args: Any) -> None:
        with self._idle:
            self._pending += 1
            self._started += 1
        self._pool.submit(self._run, task, args)

    def _run(self, task: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            task(*args)
        finally:
            with self._idle:
                self._pending -= 1
                self._finished += 1
                finished, started = self._finished, self._started
                self._idle.notify_all()
            if self._progress is not None:
                self._progress(finished, started)

    def wait(self) -> None:
        with self._idle:
            while self._pending:
                self._idle.wait()

    def __enter__(self) -> _Fanout:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _ProjectRead:
    def __init__(self, project_id: str, clients: Clients, policy: RetryPolicy, fanout: _Fanout) -> None:
        from google.api_core import exceptions
        from google.iam.v1 import iam_policy_pb2, options_pb2

        self.project_id = project_id
        self._not_found = exceptions.NotFound
        self._gone: set[str] = set()
        self._unread: set[Unread] = set()
        self._clients = clients
        self._retry = make_retry(policy)
        self._timeout = policy.attempt_timeout
        self._fanout = fanout
        self._lock = threading.Lock()
        self._number: str | None = None
        self._parent: str | None = None
        self._roles: list[CustomRole] = []
        self._bindings: list[Binding] = []
        self._accounts: list[ServiceAccount] = []
        self._instances: list[NotebookInstance] = []
        self._errors: list[ReadError] = []
        self._policy_request = lambda resource: iam_policy_pb2.GetIamPolicyRequest(
            resource=resource,
            # Version 3, always: older versions cannot carry conditions and the service refuses or drops them.
            options=options_pb2.GetPolicyOptions(requested_policy_version=3),
        )

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _call(
        self,
        call: Call,
        resource: str,
        unread: Unread | None,
        function: Callable[..., T],
        *,
        listed: str = "",
        **request: Any,
    ) -> T | None:
        """One call with our retry; a failure becomes a ReadError (and `unread`, what it leaves unknown) and None.
        `listed`: the name of the item (instance, account) a listing returned moments ago, so a 404 means it was
        deleted since (noted in `gone`), not that the read failed."""
        try:
            return function(**request, retry=self._retry, timeout=self._timeout)
        except Exception as error:  # noqa: BLE001 - every failure must reach the report, not a worker's void
            if listed and isinstance(error, self._not_found):
                with self._lock:
                    self._gone.add(listed)
            else:
                self._failed(read_error(call.value, resource, error), unread)
            return None

    def _failed(self, error: ReadError, unread: Unread | None) -> None:
        with self._lock:
            self._errors.append(error)
            if unread is not None:
                self._unread.add(unread)

    def _guarded(self, call: Call, resource: str, unread: Unread | None, task: Callable[[], None]) -> None:
        """Run a paging loop; a failure on page N keeps pages < N and reports the rest as unread."""
        try:
            task()
        except Exception as error:  # noqa: BLE001
            self._failed(read_error(call.value, resource, error), unread)

    def start(self) -> None:
        if self.project_id.isdigit():
            # A project number: every other read names the project by its id, and drift compares by id.
            self._project()
        else:
            self._fanout.submit(self._project)
        self._fanout.submit(self._project_iam)
        self._fanout.submit(self._service_accounts)
        self._fanout.submit(self._v1_locations)
        self._fanout.submit(self._v2_instances)
        self._fanout.submit(self._custom_roles)

    def result(self) -> LiveProject:
        gone = self._gone
        bindings = sorted(self._bindings, key=lambda b: (b.scope.kind.value, str(b.scope.name), *b.key))
        accounts = [a for a in self._accounts if a.address not in gone]
        instances = [i for i in self._instances if i.address not in gone]
        return LiveProject(
            project_id=self.project_id,
            project_number=self._number,
            gone=tuple(sorted(gone)),
            intent=Intent(
                bindings=tuple(bindings),
                service_accounts=tuple(sorted(accounts, key=lambda a: str(a.email))),
                instances=tuple(sorted(instances, key=lambda i: i.address)),
                custom_roles=tuple(sorted(self._roles, key=lambda r: str(r.role))),
                projects=(Project(self.project_id, self._number, self._parent or None, f"projects/{self.project_id}"),),
            ),
            errors=tuple(sorted(self._errors, key=lambda e: (e.call, e.resource, e.message))),
            coverage=Coverage(projects=frozenset({self.project_id}), unread=frozenset(self._unread)),
        )

    # -- reads -------------------------------------------------------------------------------------------------

    def _project(self) -> None:
        name = f"projects/{self.project_id}"
        project = self._call(Call.PROJECT, name, None, self._clients.projects.get_project, request={"name": name})
        if project is not None:
            self._number = project.name.rpartition("/")[2] or None
            self._parent = project.parent or None
            self.project_id = project.project_id or self.project_id

    def _project_iam(self) -> None:
        name = f"projects/{self.project_id}"
        unread = Unread(Call.PROJECT_IAM, self.project_id)
        self._iam(Call.PROJECT_IAM, self._clients.projects, project_scope(self.project_id), name, name, unread)

    def _iam(
        self,
        call: Call,
        client: Any,
        scope: Scope,
        resource: str,
        address: str,
        unread: Unread,
        *,
        listed: str = "",
    ) -> None:
        request = self._policy_request(resource)
        policy = self._call(call, resource, unread, client.get_iam_policy, listed=listed, request=request)
        if policy is not None:
            found = bindings_from_policy(policy, scope, address)
            with self._lock:
                self._bindings.extend(found)

    def _custom_roles(self) -> None:
        """The project's custom roles with their permissions: live grants are judged by them."""
        parent = f"projects/{self.project_id}"
        unread = Unread(Call.ROLES, self.project_id)

        def pages() -> None:
            found = read_custom_roles(
                parent,
                lambda request: self._call(Call.ROLES, parent, unread, self._clients.iam.list_roles, request=request),
            )
            with self._lock:
                self._roles.extend(found)

        self._guarded(Call.ROLES, parent, unread, pages)

    def _service_accounts(self) -> None:
        parent = f"projects/{self.project_id}"
        unread = Unread(Call.SERVICE_ACCOUNTS, self.project_id)

        def pages() -> None:
            pager = self._call(
                Call.SERVICE_ACCOUNTS,
                parent,
                unread,
                self._clients.iam.list_service_accounts,
                request={"name": parent, "page_size": PAGE_SIZE},
            )
            for page in advancing(pager.pages) if pager is not None else ():
                for account in page.accounts:
                    model = service_account(account, self.project_id)
                    with self._lock:
                        self._accounts.append(model)
                    scope = Scope(ScopeKind.SERVICE_ACCOUNT, account.email)
                    self._fanout.submit(self._account_iam, scope, model.address)

        self._guarded(Call.SERVICE_ACCOUNTS, parent, unread, pages)

    def _account_iam(self, scope: Scope, address: str) -> None:
        resource = f"projects/{self.project_id}/serviceAccounts/{scope.name}"
        unread = Unread(Call.SERVICE_ACCOUNT_IAM, self.project_id, str(scope.name))
        self._iam(Call.SERVICE_ACCOUNT_IAM, self._clients.iam, scope, resource, address, unread, listed=address)

    def _instance_iam(self, call: Call, client: Any, scope: Scope) -> None:
        name = str(scope.name)
        self._iam(call, client, scope, name, name, Unread(call, self.project_id, name), listed=name)

    def _v1_locations(self) -> None:
        """notebooks v1 has no documented `locations/-`: list the locations, then each location's instances."""
        name = f"projects/{self.project_id}"
        unread = Unread(Call.LOCATIONS, self.project_id)

        def pages() -> None:
            tokens = PageTokens()
            token = ""
            while True:
                response = self._call(
                    Call.LOCATIONS,
                    name,
                    unread,
                    self._clients.notebooks_v1.list_locations,
                    request={"name": name, "page_size": PAGE_SIZE, "page_token": token},
                )
                if response is None:
                    return
                for location in response.locations:
                    self._fanout.submit(self._v1_instances, location.location_id)
                token = tokens.advance(response.next_page_token)
                if not token:
                    return

        self._guarded(Call.LOCATIONS, name, unread, pages)

    def _v1_instances(self, location: str) -> None:
        self._instances_in(_V1, self._clients.notebooks_v1, location)

    def _v2_instances(self) -> None:
        self._instances_in(_V2, self._clients.notebooks_v2, "-")

    def _instances_in(self, generation: _Generation, client: Any, location: str) -> None:
        """The instances of one generation in `location` (`-`: all of them, notebooks v2)."""
        call = generation.list_call
        parent = f"projects/{self.project_id}/locations/{location}"
        unread = Unread(call, self.project_id, None if location == "-" else location)

        def pages() -> None:
            request = {"parent": parent, "page_size": PAGE_SIZE}
            pager = self._call(call, parent, unread, client.list_instances, request=request)
            for page in advancing(pager.pages) if pager is not None else ():
                for zone in page.unreachable:
                    zone_id = zone.rpartition("/locations/")[2] if "/" in zone else zone
                    self._failed(
                        ReadError(
                            call.value,
                            f"projects/{self.project_id}/locations/{zone_id}",
                            "location unreachable: its instances were not read",
                        ),
                        Unread(call, self.project_id, zone_id),
                    )
                for instance in page.instances:
                    fields = type(instance).to_dict(
                        instance, use_integers_for_enums=False, preserving_proto_field_name=False
                    )
                    model = generation.normalise(fields, self.project_id)
                    with self._lock:
                        self._instances.append(model)
                    scope = Scope(generation.scope_kind, instance.name)
                    self._fanout.submit(self._instance_iam, generation.iam_call, client, scope)

        self._guarded(call, parent, unread, pages)


@dataclass(frozen=True, slots=True)
class _Generation:
    """What differs between reading user-managed notebooks (v1) and Workbench instances (v2)."""

    list_call: Call
    iam_call: Call
    scope_kind: ScopeKind
    normalise: Callable[[dict[str, Any], str], NotebookInstance]


_V1 = _Generation(Call.V1_INSTANCES, Call.V1_INSTANCE_IAM, ScopeKind.NOTEBOOK_INSTANCE, instance_v1)
_V2 = _Generation(Call.V2_INSTANCES, Call.V2_INSTANCE_IAM, ScopeKind.WORKBENCH_INSTANCE, instance_v2)


def read_custom_roles(parent: str, call: Callable[[dict[str, Any]], Any]) -> list[CustomRole]:
    """Custom roles of `parent` (`projects/P` or `organizations/O`) through `call(request)` (None when it failed).

    `view=FULL`: the default BASIC view leaves out `includedPermissions`, which is all that matters here.
    """
    from google.cloud import iam_admin_v1

    roles = []
    pager = call({"parent": parent, "view": iam_admin_v1.RoleView.FULL, "page_size": PAGE_SIZE})
    for role in (r for page in advancing(pager.pages) for r in page.roles) if pager is not None else ():
        if role.deleted:
            continue
        roles.append(
            CustomRole(
                role=role.name,
                role_id=role.name.rpartition("/")[2],
                permissions=frozenset(role.included_permissions),
                address=role.name,
                location=Location(role.name),
            )
        )
    return roles
