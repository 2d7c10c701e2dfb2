"""`auditor notify slack` against a local webhook on 127.0.0.1: one POST per notification, a retry after 429,
the URL never shown, the payload golden."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from auditor.baseline import read_baseline
from auditor.cli import main
from auditor.notify.slack import build_payload, escape, open_findings, read_report

FIXTURES = Path(__file__).parent.parent / "fixtures" / "notify"
SECRET_PATH = "/services/T0000/B0000/s3cr3tT0kenXYZ"


class Webhook:
    """A local incoming webhook: records every POST and answers from a script of (status, headers) replies."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.replies: list[tuple[int, dict[str, str]]] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                webhook.posts.append({"path": self.path, "body": json.loads(body)})
                status, headers = webhook.replies.pop(0) if webhook.replies else (200, {})
                text = b"ok" if status == 200 else b"rate_limited" if status == 429 else b"invalid_payload"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = Webhook()
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("SLACK_WEBHOOK_URL", server.url)
    yield server
    server.server.shutdown()
    server.server.server_close()


def _assert_secret_hidden(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, *files: Path) -> str:
    captured = capsys.readouterr()
    for text in (captured.out, captured.err, caplog.text, *(f.read_text() for f in files)):
        assert "s3cr3tT0ken" not in text and "/services/" not in text
    return captured.out + captured.err


def test_one_post_per_notification_with_the_golden_payload(
    webhook: Webhook, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    report = FIXTURES / "report.json"
    link = "https://github.com/example-org/data-platform/issues/7"
    assert main(["notify", "slack", "--report", str(report), "--link", link]) == 0
    assert len(webhook.posts) == 1
    assert webhook.posts[0]["path"] == SECRET_PATH
    golden = json.loads((FIXTURES / "slack-payload.json").read_text())
    assert webhook.posts[0]["body"] == golden
    output = _assert_secret_hidden(capsys, caplog, report)
    assert "3 open findings" in output


def test_retries_after_429_honouring_retry_after(
    webhook: Webhook, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    webhook.replies = [(429, {"Retry-After": "0"}), (200, {})]
    assert main(["notify", "slack", "--report", str(FIXTURES / "report.json")]) == 0
    assert len(webhook.posts) == 2 and webhook.posts[0]["body"] == webhook.posts[1]["body"]
    _assert_secret_hidden(capsys, caplog)


def test_failure_exits_non_zero_with_a_clear_message_and_no_url(
    webhook: Webhook, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    webhook.replies = [(400, {})]
    assert main(["notify", "slack", "--report", str(FIXTURES / "report.json")]) == 2
    assert len(webhook.posts) == 1
    output = _assert_secret_hidden(capsys, caplog)
    assert "Slack webhook answered HTTP 400: invalid_payload" in output


def test_unreachable_webhook_fails_without_showing_the_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = Webhook()  # bound, never served, then closed: the port refuses connections
    url = server.url
    server.server.server_close()
    monkeypatch.setenv("SLACK_HOOK", url)
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    args = ["notify", "slack", "--report", str(FIXTURES / "report.json"), "--webhook-env", "SLACK_HOOK"]
    assert main(args) == 2
    assert "could not reach the Slack webhook" in _assert_secret_hidden(capsys, caplog)


def test_only_new_findings_count_and_none_new_sends_nothing(
    webhook: Webhook, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = FIXTURES / "report.json"
    assert main(["notify", "slack", "--report", str(report), "--baseline", str(FIXTURES / "baseline.json")]) == 0
    assert len(webhook.posts) == 1
    body = webhook.posts[0]["body"]
    assert body["text"] == "auditor: 1 new finding (1 critical)"
    everything = {
        "schema": "auditor.baseline/v1",
        "findings": [{"fingerprint": f["fingerprint"]} for f in read_report(report)["findings"]],
    }
    (tmp_path / "all.json").write_text(json.dumps(everything))
    assert main(["notify", "slack", "--report", str(report), "--baseline", str(tmp_path / "all.json")]) == 0
    assert len(webhook.posts) == 1
    assert "nothing sent" in capsys.readouterr().out


def test_missing_webhook_variable_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    assert main(["notify", "slack", "--report", str(FIXTURES / "report.json")]) == 2
    assert "SLACK_WEBHOOK_URL is not set" in capsys.readouterr().err


def test_non_https_webhook_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://hooks.example.com/services/T0000/B0000/s3cr3tT0kenXYZ")
    assert main(["notify", "slack", "--report", str(FIXTURES / "report.json")]) == 2
    err = capsys.readouterr().err
    assert "not an https URL" in err and "s3cr3t" not in err


def test_payload_escapes_finding_text() -> None:
    findings = open_findings(read_report(FIXTURES / "report.json"), read_baseline(FIXTURES / "baseline.json"))
    payload = build_payload(findings, new_only=True)
    rendered = json.dumps(payload)
    assert "&lt;anyone&gt; &amp; their" in rendered and "<anyone>" not in rendered
    assert escape("<!channel>") == "&lt;!channel&gt;"


def test_an_incomplete_report_alerts_and_fails_even_with_nothing_new(
    webhook: Webhook, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 9: an audit whose every read was denied used to say "no new findings; nothing sent", exit 0."""
    document = read_report(FIXTURES / "report.json")
    document["complete"] = False
    document["errors"] = [{"kind": "read", "message": "projects.getIamPolicy acme: permission denied"}]
    report = tmp_path / "report.json"
    report.write_text(json.dumps(document))
    everything = {
        "schema": "auditor.baseline/v1",
        "findings": [{"fingerprint": f["fingerprint"]} for f in document["findings"]],
    }
    (tmp_path / "all.json").write_text(json.dumps(everything))
    assert main(["notify", "slack", "--report", str(report), "--baseline", str(tmp_path / "all.json")]) == 2
    (post,) = webhook.posts
    assert "INCOMPLETE" in post["body"]["text"]
    assert any("incomplete" in json.dumps(block) for block in post["body"]["blocks"])
    captured = capsys.readouterr()
    assert "nothing sent" not in captured.out and "incomplete" in captured.err


def test_sections_stay_under_slacks_limit_with_long_names() -> None:
    findings = [
        {
            "severity": "high",
            "rule": "human-notebook-admin",
            "resource": "module.m." * 400 + f"r{index}",
            "message": "&<>" * 200,
            "location": {"path": "modules/" * 300 + "main.tf", "line": 7},
        }
        for index in range(8)
    ]
    payload = build_payload(findings, new_only=False)
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert sections and all(len(text) <= 3000 for text in sections)
    assert sections[0].endswith("more_")
