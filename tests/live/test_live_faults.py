"""Honesty under failure: denied reads name the permission, transient errors are retried, the rest is reported."""

from __future__ import annotations

import time
from typing import Any

import pytest

from auditor.live import read_project
from auditor.live.simulator import start_simulator
from tests.live.state_fixture import PROJECT, ZONE_A, ZONE_B, base_state, endpoints_of, fast_retry


def read_with(*faults: dict[str, Any], deadline: float = 2.0, **project_fields: Any):
    state = base_state()
    state["faults"] = list(faults)
    state["projects"][0].update(project_fields)
    with start_simulator(state) as simulator:
        live = read_project(PROJECT, endpoints=endpoints_of(simulator), retry=fast_retry(deadline))
        return live, simulator.calls, simulator.mutations


@pytest.mark.parametrize(
    ("call", "permission", "resource"),
    [
        ("projects.getIamPolicy", "resourcemanager.projects.getIamPolicy", f"projects/{PROJECT}"),  # REST
        ("serviceAccounts.list", "iam.serviceAccounts.list", f"projects/{PROJECT}"),  # gRPC
        ("locations.list", "notebooks.locations.list", f"projects/{PROJECT}"),
        ("v2.instances.list", "notebooks.instances.list", f"projects/{PROJECT}/locations/-"),
    ],
)
def test_denied_read_names_the_missing_permission(call, permission, resource):
    live, _, _ = read_with({"call": call, "code": 403})
    assert not live.complete
    assert [(e.call, e.resource, e.permission) for e in live.errors] == [(call, resource, permission)]
    assert "needs " + permission in str(live.errors[0])
    # The other reads still happened: a denied call costs its own part of the picture, not the whole read.
    assert live.intent.instances if call not in ("locations.list", "v2.instances.list") else live.intent.bindings


def test_denied_per_resource_iam_is_one_error_per_resource():
    live, _, _ = read_with({"call": "v1.instances.getIamPolicy", "code": 403})
    assert {e.permission for e in live.errors} == {"notebooks.instances.getIamPolicy"}
    assert sorted(e.resource for e in live.errors) == [
        f"projects/{PROJECT}/locations/{ZONE_A}/instances/legacy-{i}" for i in range(3)
    ]


def test_429_and_503_are_retried_until_they_clear():
    live, calls, _ = read_with(
        {"call": "serviceAccounts.getIamPolicy", "code": 429, "count": 3},  # gRPC RESOURCE_EXHAUSTED
        {"call": "projects.getIamPolicy", "code": 429, "count": 2},  # REST 429
        {"call": "v2.instances.list", "code": 503, "count": 2},  # REST 503
        {"call": "v1.instances.list", "code": 503, "count": 1},  # gRPC UNAVAILABLE
        {"call": "v2.instances.getIamPolicy", "code": 504, "count": 1},  # REST 504
    )
    assert live.errors == ()
    assert calls["projects.getIamPolicy"] == 3
    assert calls["serviceAccounts.getIamPolicy"] == 5 + 3
    assert len(live.intent.instances) == 6
    assert len({b.scope for b in live.intent.bindings}) == 1 + 5 + 6


def test_a_fault_that_never_clears_is_a_read_error_after_the_deadline():
    started = time.monotonic()
    live, calls, _ = read_with({"call": "projects.getIamPolicy", "code": 503}, deadline=0.5)
    assert time.monotonic() - started < 5
    assert not live.complete
    [error] = live.errors
    assert error.call == "projects.getIamPolicy"
    assert "retry deadline" in error.message
    assert "UNAVAILABLE" in error.message
    assert calls["projects.getIamPolicy"] > 2  # it was retried, not given up at once
    assert not [b for b in live.intent.bindings if b.scope.name == PROJECT]


def test_a_non_retryable_error_is_reported_at_once():
    live, calls, _ = read_with({"call": "serviceAccounts.list", "code": 400})
    assert calls["serviceAccounts.list"] == 1
    assert [e.call for e in live.errors] == ["serviceAccounts.list"]
    assert live.intent.service_accounts == ()


def test_a_failure_on_a_later_page_keeps_earlier_pages_and_reports_the_rest():
    # Pages of 2: the first page succeeds, the second keeps failing.
    live, _, _ = read_with({"call": "serviceAccounts.list", "code": 503, "after": 1}, deadline=0.3)
    assert [e.call for e in live.errors] == ["serviceAccounts.list"]
    assert not live.complete
    assert len(live.intent.service_accounts) == 2
    assert len([b for b in live.intent.bindings if b.scope.kind.value == "service_account"]) == 2


def test_unreachable_locations_are_read_errors():
    live, _, _ = read_with(unreachableLocations=[ZONE_B, "asia-east1-c"])
    assert not live.complete
    unreachable = sorted((e.call, e.resource) for e in live.errors)
    assert ("v2.instances.list", f"projects/{PROJECT}/locations/{ZONE_B}") in unreachable
    assert ("v1.instances.list", f"projects/{PROJECT}/locations/asia-east1-c") in unreachable
    assert all("unreachable" in e.message for e in live.errors)
    # What was reachable was read.
    assert {i.generation for i in live.intent.instances} == {"v1"}


def test_timeouts_are_retried_then_reported():
    state = base_state()
    state["latency_ms"] = 300
    with start_simulator(state) as simulator:
        live = read_project(
            PROJECT, endpoints=endpoints_of(simulator), retry=fast_retry(deadline=0.6, attempt_timeout=0.1)
        )
    assert not live.complete
    assert {e.call for e in live.errors} >= {"projects.get", "projects.getIamPolicy", "serviceAccounts.list"}
    assert all("retry deadline" in e.message for e in live.errors)


def test_reads_run_concurrently():
    state = base_state()
    state["latency_ms"] = 40
    with start_simulator(state) as simulator:
        timings = {}
        for concurrency in (1, 16):
            started = time.monotonic()
            live = read_project(PROJECT, endpoints=endpoints_of(simulator), concurrency=concurrency)
            timings[concurrency] = time.monotonic() - started
            assert live.complete
    # 27 calls: at 40 ms that is >= 1.08 s one at a time; the longest dependent chain is 4 calls.
    assert timings[1] >= 1.0
    assert timings[16] * 2 < timings[1]


def test_http_500_is_retried_like_503():
    live, calls, _ = read_with(
        {"call": "projects.getIamPolicy", "code": 500, "count": 2},  # REST 500
        {"call": "serviceAccounts.list", "code": 500, "count": 1},  # gRPC INTERNAL
    )
    assert live.errors == ()
    assert calls["projects.getIamPolicy"] == 3
    assert calls["serviceAccounts.list"] == 1 + 3  # one failure, then the three pages of five accounts


def test_a_page_token_that_never_advances_is_an_error_not_a_hang():
    import threading

    state = base_state()
    state["pageSize"] = 0  # the server answers empty pages and the same token forever
    result: list = []
    with start_simulator(state) as simulator:
        reading = threading.Thread(
            target=lambda: result.append(read_project(PROJECT, endpoints=endpoints_of(simulator), retry=fast_retry())),
            daemon=True,
        )
        reading.start()
        reading.join(timeout=30)
        assert not reading.is_alive(), "the reader kept following a page token that never advances"
    [live] = result
    assert not live.complete
    stuck = {e.call for e in live.errors if "page token" in e.message}
    assert stuck >= {"serviceAccounts.list", "v2.instances.list", "locations.list"}


def test_an_instance_deleted_during_the_read_is_noted_gone_not_an_incomplete_audit():
    # The listing saw it; by the time its IAM policy was asked for, it was gone (404).
    live, _, _ = read_with({"call": "v2.instances.getIamPolicy", "code": 404, "count": 1})
    assert live.complete, live.errors
    [gone] = live.gone
    assert gone.startswith(f"projects/{PROJECT}/locations/{ZONE_B}/instances/wb-")
    assert gone not in {i.full_name for i in live.intent.instances}
    assert len([i for i in live.intent.instances if i.generation == "v2"]) == 2
    assert not [b for b in live.intent.bindings if b.scope.name == gone]
