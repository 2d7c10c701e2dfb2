"""The command line: one command's run imports only what that command needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from auditor.cli import COMMANDS, build_parser


def test_every_command_is_registered_without_argv() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(subparsers.choices) == set(COMMANDS)


def test_a_named_command_registers_only_itself() -> None:
    parser = build_parser(["check", "."])
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(subparsers.choices) == {"check"}


def test_check_never_imports_the_live_reader(tmp_path: Path, repo_root: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "google_project_iam_member" "m" {\n  role = "roles/viewer"\n}\n')
    code = (
        "import sys\nfrom auditor.cli import main\n"
        f"main(['check', {str(tmp_path)!r}, '--format', 'json'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('auditor.live', 'auditor.drift', 'lark', 'hcl2'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
