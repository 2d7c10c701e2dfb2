"""The shared ends of `check` and `drift` (auditor/audit.py): output files, baselines, suppression comments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["inventory", "--format", "json"],
        ["access", "matrix"],
        ["access", "who-can", "resourcemanager.projects.setIamPolicy"],
    ],
)
def test_every_output_option_to_a_directory_is_a_clear_error(
    command: list[str], project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not an "internal error, please report" (a bug of ours): the user named a directory."""
    assert main([*command, str(project), "--output", str(project)]) == 2
    err = capsys.readouterr().err
    assert f"{project}: cannot write" in err and "it is a directory" in err and "internal error" not in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "command",
    [
        ["check", "PROJECT"],
        ["inventory", "PROJECT", "--format", "json"],
        ["access", "matrix", "PROJECT"],
        ["policies"],
        ["policies", "--format", "json"],
        ["explain", "basic-role-human"],
    ],
)
def test_a_full_standard_output_is_a_clear_error(command: list[str], project: Path, repo_root: Path) -> None:
    """`auditor check > report.txt` on a full disk: exit 2 and say so, never "internal error, please report"."""
    words = [str(project) if word == "PROJECT" else word for word in command]
    env = {**os.environ, "PYTHONPATH": str(repo_root), "AUDITOR_NO_CACHE": "1"}
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "auditor", *words],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    assert result.returncode == 2
    assert "standard output: cannot write" in result.stderr and "No space left on device" in result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "table"])
def test_a_directory_name_that_is_not_utf8_is_reported_not_an_internal_error(
    fmt: str, tmp_path: Path, repo_root: Path
) -> None:
    """Linux file names are bytes: `caf\xe9/` (Latin-1) reaches us as a surrogate escape. Every format, to a file
    and to standard output, still reports the owner grant (exit 1), and the JSON formats still parse."""
    directory = os.fsdecode(bytes(tmp_path) + b"/caf\xe9")
    os.mkdir(directory)
    Path(directory, "main.tf").write_text(OWNER)
    env = {**os.environ, "PYTHONPATH": str(repo_root), "AUDITOR_NO_CACHE": "1", "LC_ALL": "C.UTF-8"}
    report = tmp_path / "report.out"
    for output in (["--output", str(report)], []):
        result = subprocess.run(
            [sys.executable, "-m", "auditor", "check", directory, "--format", fmt, *output],
            capture_output=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        assert result.returncode == 1, result.stderr
        text = report.read_bytes() if output else result.stdout
        if fmt in ("json", "sarif"):
            assert json.loads(text.decode("utf-8"))


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


@pytest.mark.parametrize(("output", "code"), [(False, 2), (True, 1)])
def test_a_closed_standard_output_is_an_error_only_when_the_report_goes_there(
    output: bool, code: int, project: Path, tmp_path: Path, repo_root: Path
) -> None:
    """`auditor check ... >&-` (cron, some CI wrappers): the report cannot be delivered, exit 2 with a message;
    with `--output FILE` nothing needs standard output and the command's own exit code stands (the exit path
    crashed on `sys.stdout.flush()` with a traceback and exit 1 either way)."""
    report = tmp_path / "report.txt"
    words = [sys.executable, "-m", "auditor", "check", str(project), *(["--output", str(report)] if output else [])]
    env = {**os.environ, "PYTHONPATH": str(repo_root), "AUDITOR_NO_CACHE": "1"}
    result = subprocess.run(
        words, stderr=subprocess.PIPE, text=True, env=env, timeout=60, preexec_fn=lambda: os.close(1)
    )
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if output:
        assert "roles/owner" in report.read_text()
    else:
        assert "standard output" in result.stderr
