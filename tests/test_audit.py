"""The shared ends of `check` and `drift` (auditor/audit.py): output files, baselines, suppression comments."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor.cli import main

OWNER = """resource "google_project_iam_member" "owner" {
  project = "p"
  role    = "roles/owner"
  member  = "user:ana@example.com"
}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(OWNER)
    return tmp_path


def test_output_to_a_directory_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(project), "--output", str(project)]) == 2
    err = capsys.readouterr().err
    assert "cannot write the report: it is a directory" in err and "Traceback" not in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_to_a_full_disk_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(project), "--output", "/dev/full"]) == 2
    err = capsys.readouterr().err
    assert "/dev/full: cannot write the report: No space left on device" in err and "Traceback" not in err


def test_write_baseline_exits_0_once_the_findings_are_recorded(project: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "out" / "baseline.json"
    assert main(["check", str(project), "--format", "json", "--output", str(tmp_path / "r.json")]) == 1
    assert main(["check", str(project), "--format", "json", "--write-baseline", str(baseline)]) == 0
    assert json.loads(baseline.read_text())["findings"]
    assert main(["check", str(project), "--format", "json", "--baseline", str(baseline)]) == 0


def test_a_misspelt_id_in_a_suppression_comment_is_an_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "main.tf").write_text("# auditor:ignore[basic-role-humn] break-glass account\n" + OWNER)
    assert main(["check", str(project), "--format", "json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert any(
        "unknown policy id 'basic-role-humn' (did you mean basic-role-human?)" in e["message"]
        for e in document["errors"]
    )
    assert not any(f.get("suppression") for f in document["findings"])


def test_a_correct_suppression_comment_still_works(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "main.tf").write_text("# auditor:ignore[basic-role-human] break-glass account\n" + OWNER)
    main(["check", str(project), "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert document["errors"] == []
    assert [f["rule"] for f in document["findings"] if f.get("suppression")] == ["basic-role-human"]
