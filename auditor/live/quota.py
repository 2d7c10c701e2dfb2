"""Staying inside a per-minute API quota: a client-side limiter and a retry loop that honours the server's delay.

Cloud Asset Inventory allows 100 `ListAssets` requests per minute per consumer project. The limiter never lets more
than `max_rpm` attempts start in any 60-second window (a sliding window, so a burst up to the quota goes out at once
and the rest waits), and a 429 that carries a delay (gRPC `RetryInfo`, REST `Retry-After`) is retried after exactly
that delay rather than our own backoff. What still fails is raised for the reader to turn into a `ReadError`.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from auditor.live.retry import RetryPolicy, is_transient

T = TypeVar("T")

LIST_ASSETS_QUOTA_RPM = 100
"""ListAssets requests per minute per consumer project (Google's default quota)."""


class RateLimiter:
    """At most `max_rpm` acquisitions in any `window` seconds; thread-safe. `max_rpm` 0 disables the limit."""

    def __init__(
        self,
        max_rpm: int,
        *,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_rpm = max_rpm
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._starts: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self.waited = 0.0
        """Seconds spent waiting for the window, for reports and benchmarks."""

    def acquire(self) -> None:
        if self.max_rpm <= 0:
            return
        while True:
            with self._lock:
                now = self._clock()
                while self._starts and now - self._starts[0] >= self.window:
                    self._starts.popleft()
                if len(self._starts) < self.max_rpm:
                    self._starts.append(now)
                    return
                delay = self.window - (now - self._starts[0])
                self.waited += delay
            self._sleep(delay)


def server_delay(error: BaseException) -> float | None:
    """The delay the server asked for: gRPC/REST `RetryInfo` detail, or an HTTP `Retry-After` header in seconds."""
    for detail in getattr(error, "details", None) or ():
        retry_delay = getattr(detail, "retry_delay", None)
        if retry_delay is not None and hasattr(retry_delay, "ToNanoseconds"):
            return float(retry_delay.ToNanoseconds()) / 1e9
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            return _seconds(detail.get("retryDelay"))
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None and headers.get("Retry-After") is not None:
        return _seconds(headers.get("Retry-After"))
    return None


def _seconds(value: Any) -> float | None:
    try:
        return max(0.0, float(str(value).removesuffix("s")))
    except ValueError:
        return None  # an HTTP date: rare from Google APIs; fall back to our backoff


def call_with_quota(
    function: Callable[[], T],
    policy: RetryPolicy,
    limiter: RateLimiter,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[BaseException, float], None] | None = None,
) -> T:
    """Call `function` (one API request) under the limiter, retrying transient errors until `policy.deadline`.

    A server-sent delay wins over the exponential backoff with full jitter; a delay that would pass the deadline
    ends the retries. The last error is raised as `google.api_core.exceptions.RetryError` (cause kept), like the
    client libraries' own Retry, so `retry.read_error` reports it the same way.
    """
    from google.api_core import exceptions

    deadline = time.monotonic() + policy.deadline
    backoff = policy.initial_backoff
    while True:
        limiter.acquire()
        try:
            return function()
        except Exception as error:
            if not is_transient(error):
                raise
            delay = server_delay(error)
            if delay is None:
                delay = random.uniform(0, backoff)
                backoff = min(policy.max_backoff, backoff * policy.multiplier)
            if time.monotonic() + delay > deadline:
                raise exceptions.RetryError(  # type: ignore[no-untyped-call]
                    f"still failing after {policy.deadline:g} s", error
                ) from error
            if on_retry is not None:
                on_retry(error, delay)
            sleep(delay)
