"""Notifications about a finished report (a reporter's sibling: it reads the JSON report, it never audits)."""

from __future__ import annotations

from auditor.errors import AuditorError


class NotifyError(AuditorError):
    """A notification that could not be built or delivered; the message never contains the webhook URL."""
