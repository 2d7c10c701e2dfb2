"""Notifications about a finished report (a reporter's sibling: it reads the JSON report, it never audits)."""

from __future__ import annotations

from auditor.errors import NotifyError

__all__ = ["NotifyError"]
