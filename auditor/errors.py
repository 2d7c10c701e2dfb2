"""One error hierarchy, mapped once to exit codes and messages by the CLI."""

from __future__ import annotations

from collections.abc import Iterable


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


def did_you_mean(name: str, known: Iterable[str], most: int = 1) -> str:
    """` (did you mean a or b?)` naming the closest of `known` to a misspelt `name`; empty when none is close."""
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=most)
    return f" (did you mean {' or '.join(close)}?)" if close else ""
