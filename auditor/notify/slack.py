"""Post a Block Kit summary of a JSON report to a Slack incoming webhook.

Reads the report `auditor check|drift --format json` wrote, counts only findings that are open (not suppressed)
and, when a baseline is given, not in it. The webhook URL is a credential: it is read from the environment, handed
to slack_sdk with its logging silenced, and scrubbed from every error message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auditor.notify import NotifyError

SEVERITIES = ("critical", "high", "medium", "low", "info")
TOP_FINDINGS = 5
MAX_RATE_LIMIT_RETRIES = 3
_MESSAGE_LIMIT = 280
_NAME_LIMIT = 200
"""Resource names and paths are clipped too: an escaped line stays far below a section's limit."""
SECTION_LIMIT = 3000
"""Slack refuses a section whose text is longer (Block Kit: `text` of a section, at most 3,000 characters)."""

# slack_sdk logs request URLs at INFO/DEBUG ("Going to retry the same request: POST <url>"): never let it speak.
_SDK_LOGGER = logging.getLogger("auditor.notify.slack.sdk")
_SDK_LOGGER.addHandler(logging.NullHandler())
_SDK_LOGGER.propagate = False
_SDK_LOGGER.setLevel(logging.CRITICAL + 1)


def read_report(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise NotifyError(f"{path}: cannot read report: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotifyError(f"{path}: not a JSON report: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise NotifyError(f"{path}: not an auditor JSON report (no 'findings' list)")
    return document


def open_findings(report: Mapping[str, Any], baseline: frozenset[str] | None) -> list[dict[str, Any]]:
    """Findings that count: not suppressed, not baselined in the report, and not in the given baseline (the
    fingerprints `auditor.baseline.read_baseline` returns, the same reader `check --baseline` uses)."""
    counted = []
    for finding in report["findings"]:
        if not isinstance(finding, dict) or finding.get("suppressed") or finding.get("baselined"):
            continue
        if baseline is not None and str(finding.get("fingerprint", "")).lower() in baseline:
            continue
        counted.append(finding)
    return sorted(counted, key=lambda f: (_rank(f), str(f.get("rule")), str(f.get("resource"))))


def _rank(finding: Mapping[str, Any]) -> int:
    severity = str(finding.get("severity", "")).lower()
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def escape(text: str) -> str:
    """Slack mrkdwn control characters; everything a finding says is data, never markup or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_payload(
    findings: list[dict[str, Any]],
    *,
    new_only: bool,
    link: str | None = None,
    incomplete: int = 0,
) -> dict[str, Any]:
    """The webhook body: fallback `text` plus Block Kit blocks (header, counts, top findings, link)."""
    counts = {severity: 0 for severity in SEVERITIES}
    for finding in findings:
        severity = str(finding.get("severity", "")).lower()
        if severity in counts:
            counts[severity] += 1
    adjective = "new" if new_only else "open"
    noun = "finding" if len(findings) == 1 else "findings"
    breakdown = ", ".join(f"{count} {severity}" for severity, count in counts.items() if count)
    text = f"auditor: {len(findings)} {adjective} {noun}" + (f" ({breakdown})" if breakdown else "")
    if incomplete:
        text += " -- the report is INCOMPLETE"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"IAM audit: {len(findings)} {adjective} {noun}"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{severity.capitalize()}*\n{counts[severity]}"} for severity in SEVERITIES
            ],
        },
    ]
    if incomplete:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f":warning: The report is incomplete: {incomplete} inputs or reads failed.",
                    }
                ],
            }
        )
    if findings:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _top_findings(findings)}})
    if link:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{escape(link)}|View the full report>"}})
    return {"text": text, "blocks": blocks}


def _top_findings(findings: list[dict[str, Any]]) -> str:
    """The first findings, as many as fit Slack's limit for one section's text (with the `and N more` line)."""
    lines: list[str] = []
    for finding in findings[:TOP_FINDINGS]:
        line = _finding_line(finding)
        more = f"_and {len(findings) - len(lines) - 1} more_" if len(lines) + 1 < len(findings) else ""
        if len("\n".join([*lines, line, more])) > SECTION_LIMIT:
            break
        lines.append(line)
    if len(lines) < len(findings):
        lines.append(f"_and {len(findings) - len(lines)} more_")
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finding_line(finding: Mapping[str, Any]) -> str:
    severity = str(finding.get("severity", "?")).upper()
    message = str(finding.get("message", ""))
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    where = _clip(_where(finding.get("location")) or "", _NAME_LIMIT)
    resource = _clip(str(finding.get("resource", "")), _NAME_LIMIT)
    line = f"*{escape(severity)}* `{escape(str(finding.get('rule', '?')))}` {escape(resource)}"
    if where:
        line += f" ({escape(where)})"
    return line + f"\n{escape(message)}"


def _where(location: Any) -> str:
    if isinstance(location, dict):
        path, line = location.get("path"), location.get("line")
        return f"{path}:{line}" if path and line else str(path or "")
    return str(location or "")


def check_link(link: str | None) -> str | None:
    if link is None:
        return None
    if urlsplit(link).scheme not in ("https", "http"):
        raise NotifyError("--link must be an http(s) URL")
    return link


def check_webhook_url(url: str | None, variable: str) -> str:
    if not url:
        raise NotifyError(f"the environment variable {variable} is not set (it must hold the Slack webhook URL)")
    parts = urlsplit(url.strip())
    # Plain http only to the local machine (tests, a local relay); a real webhook is https.
    if parts.scheme == "https" and parts.hostname:
        return url.strip()
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return url.strip()
    raise NotifyError(f"the value of {variable} is not an https URL")


def post(payload: Mapping[str, Any], url: str, *, timeout: float = 15.0) -> None:
    """One webhook POST (plus retries after 429, honouring Retry-After); raises NotifyError without the URL."""
    from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
    from slack_sdk.webhook import WebhookClient

    client = WebhookClient(
        url,
        timeout=int(timeout),
        logger=_SDK_LOGGER,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=MAX_RATE_LIMIT_RETRIES),
        ],
    )
    try:
        response = client.send_dict(dict(payload))
    except Exception as error:  # urllib/socket errors: report the kind, never the URL
        raise NotifyError(f"could not reach the Slack webhook: {_scrub(str(error), url)}") from None
    if response.status_code != 200:
        body = _scrub(str(response.body or "")[:200], url)
        raise NotifyError(f"Slack webhook answered HTTP {response.status_code}: {body}")


def _scrub(text: str, url: str) -> str:
    for secret in _secret_parts(url):
        text = text.replace(secret, "<webhook>")
    return text


def _secret_parts(url: str) -> Iterable[str]:
    parts = urlsplit(url)
    yield url
    if parts.path and parts.path != "/":
        yield parts.path
