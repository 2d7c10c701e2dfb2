"""`--from-export gs://bucket/object` through the real google-cloud-storage client against a loopback server that
answers the JSON API's media download (`GET /download/storage/v1/b/B/o/O?alt=media`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.live.org_state import org_state

pytest.importorskip("google.cloud.storage")


def _export_text() -> str:
    from auditor.live.simulator.assets import build_assets

    lines = []
    for asset in build_assets(org_state()):
        for content_type in ("RESOURCE", "IAM_POLICY"):
            lines.append(json.dumps(asset.as_json(content_type)))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def storage_endpoint() -> Iterator[tuple[str, list[str]]]:
    objects = {("exports", "org/assets.json"): _export_text().encode()}
    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            requested.append(url.path)
            parts = url.path.split("/")
            body, code = json.dumps({"error": {"code": 404, "message": "No such object."}}).encode(), 404
            if url.path.startswith("/download/storage/v1/b/") and "alt=media" in url.query:
                key = (parts[5], unquote(parts[7]))
                if key in objects:
                    body, code = objects[key], 200
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


def test_gs_export_reads_like_a_local_file(
    storage_endpoint: tuple[str, list[str]], tmp_path: Path, monkeypatch
) -> None:
    from auditor.live.exports import STORAGE_ENDPOINT_ENV, read_exports

    endpoint, requested = storage_endpoint
    monkeypatch.setenv(STORAGE_ENDPOINT_ENV, endpoint)
    local = tmp_path / "assets.json"
    local.write_text(_export_text())
    remote = read_exports(["gs://exports/org/assets.json"])
    assert remote.errors == ()
    assert "/download/storage/v1/b/exports/o/org%2Fassets.json" in requested
    assert remote.intent == read_exports([str(local)]).intent
    assert len(remote.intent.projects) == 4


def test_missing_gs_object_is_an_error(storage_endpoint: tuple[str, list[str]], monkeypatch) -> None:
    from auditor.live.exports import STORAGE_ENDPOINT_ENV, read_exports

    monkeypatch.setenv(STORAGE_ENDPOINT_ENV, storage_endpoint[0])
    read = read_exports(["gs://exports/nope.json", "gs://no-object-name"])
    assert [e.path for e in read.errors] == ["gs://exports/nope.json", "gs://no-object-name"]
    assert "Cloud Storage" in read.errors[0].message
