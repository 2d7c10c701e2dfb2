"""`auditor inventory --format table`: Terraform values never drive the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main


def test_inventory_table_escapes_terminal_control_sequences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "google_project_iam_member" "m" {\n'
        '  project = "p"\n'
        '  role    = "roles/viewer"\n'
        '  member  = "user:a\\u001b]0;pwned\\u0007\\u001b[2J@example.com"\n'
        "}\n"
    )
    assert main(["inventory", str(tmp_path), "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "\x1b]0;" not in out and "\x07" not in out and "\x1b[2J" not in out
    assert "\\x1b]0;pwned\\x07" in out
