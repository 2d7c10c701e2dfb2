"""One error hierarchy, mapped once to exit codes and messages by the CLI."""

from __future__ import annotations


class AuditorError(Exception):
    """Base of every error the auditor reports to a user without a traceback."""


class UsageError(AuditorError):
    """Bad command-line arguments or configuration."""


class InputReadError(AuditorError):
    """An input file that cannot be read or parsed at all."""


class PolicyError(AuditorError):
    """A policy file that fails its schema or whose CEL condition does not compile."""


class LiveReadError(AuditorError):
    """A live read that failed (denied, exhausted retries, unreachable)."""


class EvaluationError(AuditorError):
    """A definite error in a Terraform configuration (a type error, a missing key): `try()` catches it; anything
    else raised while evaluating is our own bug and propagates as an internal error."""


class NotifyError(AuditorError):
    """A notification that could not be built or delivered; the message never contains the webhook URL."""


INTERNAL_ERROR = "internal error, please report"
"""The start of the message for any other exception: a bug of ours, never the user's input."""
