"""`auditor notify slack`: post a summary of a JSON report to Slack (only new findings when given a baseline)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

DEFAULT_WEBHOOK_ENV = "SLACK_WEBHOOK_URL"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("notify", help="send a report summary somewhere people look")
    targets = parser.add_subparsers(dest="target", metavar="TARGET")
    slack = targets.add_parser(
        "slack",
        help="post a Block Kit summary to a Slack incoming webhook",
        description="Post counts by severity, the top findings and a link to a Slack incoming webhook. The webhook "
        f"URL is read from ${DEFAULT_WEBHOOK_ENV} (or --webhook-env NAME) and never printed.",
    )
    slack.add_argument("--report", required=True, type=Path, metavar="REPORT.json", help="JSON report to summarise")
    slack.add_argument(
        "--baseline", type=Path, metavar="FILE", help="only findings not in this baseline count; none new: no post"
    )
    slack.add_argument("--webhook-env", default=DEFAULT_WEBHOOK_ENV, metavar="NAME", help="variable with the URL")
    slack.add_argument("--link", metavar="URL", help="link to the issue or run with the full report")
    slack.set_defaults(run=run_slack)
    parser.set_defaults(run=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_slack(args: argparse.Namespace) -> int:
    from auditor.baseline import read_baseline
    from auditor.notify import slack

    report = slack.read_report(args.report)
    baseline = read_baseline(args.baseline) if args.baseline else None
    link = slack.check_link(args.link)
    findings = slack.open_findings(report, baseline)
    errors = report.get("errors")
    errors = errors if isinstance(errors, list) else []
    # An incomplete audit (a denied read, an unreadable input) is never "nothing new": it may hide everything.
    incomplete = len(errors) or (1 if report.get("complete") is False else 0)
    if baseline is not None and not findings and not incomplete:
        print("auditor: no new findings; nothing sent to Slack")
        return 0
    url = slack.check_webhook_url(os.environ.get(args.webhook_env), args.webhook_env)
    payload = slack.build_payload(findings, new_only=baseline is not None, link=link, incomplete=incomplete)
    slack.post(payload, url)
    print(f"auditor: sent {payload['text'].removeprefix('auditor: ')} to Slack")
    if incomplete:
        print(f"auditor: error: the report is incomplete ({incomplete} inputs or reads failed)", file=sys.stderr)
        return 2
    return 0
