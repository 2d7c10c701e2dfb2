"""Retries and failure reporting for live reads.

The clients' default retries are thin (429 never retried, IAM and notebooks calls not at all), so every call gets
our own Retry: 429, 500, 503, 504 and timeouts, exponential backoff with full jitter, bounded by a deadline. What still
fails becomes a `ReadError` that names the call, the resource and, when denied, the missing permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.live.calls import PERMISSIONS
from auditor.live.paging import PageTokenStuck
from auditor.model import ReadError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a failed call is retried: exponential backoff with full jitter, within a deadline per call."""

    initial_backoff: float = 0.5
    """Seconds; the first sleep is uniform in [0, initial_backoff] (full jitter)."""
    max_backoff: float = 16.0
    multiplier: float = 2.0
    deadline: float = 60.0
    """Seconds from a call's first attempt after which it is reported as failed."""
    attempt_timeout: float = 20.0
    """Seconds one attempt may take (gRPC deadline, requests read timeout)."""


def make_retry(policy: RetryPolicy) -> Any:
    """A `google.api_core.retry.Retry` for idempotent reads."""
    from google.api_core import retry as retries

    return retries.Retry(
        predicate=is_transient,
        initial=policy.initial_backoff,
        maximum=policy.max_backoff,
        multiplier=policy.multiplier,
        timeout=policy.deadline,
    )


def is_transient(error: BaseException) -> bool:
    """Worth another try: 429, 500, 503, 504 (REST or their gRPC codes), timeouts and dropped connections."""
    import requests
    from google.api_core import exceptions

    return isinstance(
        error,
        exceptions.TooManyRequests  # HTTP 429; gRPC RESOURCE_EXHAUSTED subclasses it
        | exceptions.InternalServerError  # 500 / INTERNAL: Google documents these as retryable
        | exceptions.ServiceUnavailable  # 503 / UNAVAILABLE
        | exceptions.GatewayTimeout  # 504; gRPC DEADLINE_EXCEEDED subclasses it
        | requests.exceptions.Timeout  # REST transports let raw requests timeouts through
        | requests.exceptions.ConnectionError,
    )


def read_error(call: str, resource: str, error: BaseException) -> ReadError:
    """Describe a failed read for the report; never lets a failure pass as an empty result."""
    from google.api_core import exceptions

    if isinstance(error, PageTokenStuck):
        return ReadError(call, resource, str(error))

    if isinstance(error, exceptions.RetryError):
        cause = error.cause
        last = _describe(cause) if cause is not None else "no response"
        return ReadError(call, resource, f"still failing when the retry deadline passed (last error: {last})")
    if isinstance(error, (exceptions.Forbidden, exceptions.PermissionDenied)):
        metadata = getattr(error, "metadata", None) or {}
        permission = metadata.get("permission") or PERMISSIONS.get(call)
        if getattr(error, "reason", None) == "SERVICE_DISABLED":
            return ReadError(call, resource, f"the API is disabled in the project: {error.message}", permission)
        return ReadError(call, resource, "permission denied", permission)
    return ReadError(call, resource, _describe(error))


def _describe(error: BaseException) -> str:
    from google.api_core import exceptions

    if isinstance(error, exceptions.GoogleAPICallError):
        status = error.grpc_status_code.name if error.grpc_status_code is not None else str(error.code)
        return f"{status}: {error.message}"
    return f"{type(error).__name__}: {error}"
