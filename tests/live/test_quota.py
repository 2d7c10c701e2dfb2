"""The client-side quota limiter and the retry loop that honours the server's delay (no network, fake clocks)."""

from __future__ import annotations

import pytest

from auditor.live.quota import RateLimiter, call_with_quota, server_delay
from auditor.live.retry import RetryPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_limiter_lets_a_burst_up_to_the_quota_then_waits_for_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        limiter.acquire()
    assert clock.sleeps == []
    clock.now = 10.0
    limiter.acquire()  # the 101st: waits until the first one leaves the 60 s window
    assert clock.sleeps == [pytest.approx(50.0)]
    # Never more than 100 starts in any 60 s window.
    starts = list(limiter._starts)
    assert all(later - earlier >= 60.0 for earlier, later in zip(starts, starts[100:], strict=False))


def test_zero_disables_the_limit() -> None:
    clock = FakeClock()
    limiter = RateLimiter(0, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        limiter.acquire()
    assert clock.sleeps == []


def test_retry_waits_for_the_servers_retry_info() -> None:
    from google.api_core import exceptions
    from google.protobuf import duration_pb2
    from google.rpc import error_details_pb2

    info = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2))
    failures = [exceptions.TooManyRequests("slow down", details=[info]) for _ in range(2)]
    slept: list[float] = []

    def call() -> str:
        if failures:
            raise failures.pop()
        return "page"

    limiter = RateLimiter(0)
    assert call_with_quota(call, RetryPolicy(deadline=30), limiter, sleep=slept.append) == "page"
    assert slept == [2.0, 2.0]


def test_a_delay_past_the_deadline_gives_up_with_retry_error() -> None:
    from google.api_core import exceptions
    from google.protobuf import duration_pb2
    from google.rpc import error_details_pb2

    info = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=120))

    def call() -> str:
        raise exceptions.TooManyRequests("quota", details=[info])

    with pytest.raises(exceptions.RetryError):
        call_with_quota(call, RetryPolicy(deadline=60), RateLimiter(0), sleep=lambda s: None)


def test_permission_denied_is_not_retried() -> None:
    from google.api_core import exceptions

    calls = []

    def call() -> str:
        calls.append(1)
        raise exceptions.PermissionDenied("no")

    with pytest.raises(exceptions.PermissionDenied):
        call_with_quota(call, RetryPolicy(), RateLimiter(0), sleep=lambda s: None)
    assert len(calls) == 1


def test_server_delay_from_rest_envelope_and_header() -> None:
    from google.api_core import exceptions

    error = exceptions.TooManyRequests(
        "x", details=[{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]
    )
    assert server_delay(error) == 1.5

    class Response:
        headers = {"Retry-After": "7"}

    assert server_delay(exceptions.TooManyRequests("x", response=Response())) == 7.0
    assert server_delay(exceptions.TooManyRequests("x")) is None
