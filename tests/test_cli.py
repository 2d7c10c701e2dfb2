"""The command line: one command's run imports only what that command needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_a_command_module_that_fails_to_import_fails_loudly(monkeypatch, capsys) -> None:
    import auditor.cli as cli

    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, "not_built_yet"))
    assert cli.main(["policies"]) == 0  # a named command imports only itself
    capsys.readouterr()
    assert cli.main([]) == 2  # no command named: every module is imported, and one is missing
    err = capsys.readouterr().err
    assert "internal error, please report" in err and "auditor.commands.not_built_yet" in err


def test_an_internal_error_asks_for_a_report_and_shows_the_traceback_only_under_debug(capsys) -> None:
    from auditor.cli import run_guarded

    def bug() -> int:
        return {}["missing"]

    assert run_guarded(bug) == 2
    err = capsys.readouterr().err
    assert err.startswith("auditor: internal error, please report: KeyError: 'missing'")
    assert "Traceback" not in err and "--debug" in err
    assert run_guarded(bug, debug=True) == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_error_lines_escape_terminal_control_sequences(tmp_path: Path, capsys) -> None:
    from auditor.cli import main

    missing = tmp_path / "\x1b]0;pwned\x07.toml"
    assert main(["check", str(tmp_path), "--config", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "\\x1b]0;pwned\\x07" in err


def test_debug_is_accepted_after_the_command(tmp_path: Path, capsys) -> None:
    from auditor.cli import main

    (tmp_path / "main.tf").write_text("")
    assert main(["check", str(tmp_path), "--debug", "--format", "json"]) in (0, 2)
    assert "unrecognized arguments" not in capsys.readouterr().err


def test_evaluation_and_notify_errors_join_the_one_hierarchy() -> None:
    from auditor.errors import AuditorError, EvaluationError, NotifyError
    from auditor.notify import NotifyError as Reexported
    from auditor.terraform.expressions import EvaluationError as Used

    assert issubclass(EvaluationError, AuditorError) and issubclass(NotifyError, AuditorError)
    assert Used is EvaluationError and Reexported is NotifyError


@pytest.mark.parametrize(
    "argv",
    [
        ["access", "who-can", "notebooks.instances.delete", "--on", "p-chain", "PATH", "--format", "json"],
        ["access", "what-can", "user:sam@example.com", "--format", "json", "PATH"],
        ["access", "matrix", "--format", "json", "PATH"],
        ["check", "--format", "json", "PATH", "--fail-on", "critical", "PATH"],
        ["inventory", "--format", "json", "PATH"],
    ],
)
def test_options_and_paths_mix_freely(argv: list[str], repo_root: Path) -> None:
    """`who-can PERM --on X PATH`: a path after an option is a path, not an unrecognized argument."""
    fixture = repo_root / "tests" / "fixtures" / "privilege-escalation"
    words = [str(fixture) if word == "PATH" else word for word in argv]
    args = build_parser(words).parse_args(words)
    assert fixture in args.paths and Path(".") not in args.paths
    assert args.format == "json"


def _auditor(args: list[str], repo_root: Path, cache: Path, stderr: int) -> subprocess.Popen[bytes]:
    # Bytecode (and with it the dataclass code cache, an exit handler) goes under the test's own prefix.
    env = {
        **os.environ,
        "PYTHONPATH": str(repo_root),
        "AUDITOR_CACHE_DIR": str(cache),
        "PYTHONPYCACHEPREFIX": str(cache),
    }
    for name in ("AUDITOR_NO_CACHE", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    command = [sys.executable, "-m", "auditor", *args]
    return subprocess.Popen(command, env=env, cwd=repo_root, stdout=subprocess.PIPE, stderr=stderr)


def test_a_batch_command_leaves_fast_with_its_whole_report_and_exit_handlers_run(
    tmp_path: Path, repo_root: Path
) -> None:
    """The executable skips the interpreter's teardown for batch commands: the report must still be whole, the
    exit code the command's, and the code cache (an exit handler) written."""
    process = _auditor(["check", "examples/workbench-risky", "--format", "json"], repo_root, tmp_path, subprocess.PIPE)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    report = json.loads(out)
    assert len(report["findings"]) >= 5
    assert list(tmp_path.rglob("dataclasses.*.marshal"))


def test_a_batch_command_whose_reader_went_away_never_exits_clean(tmp_path: Path, repo_root: Path) -> None:
    process = _auditor(["check", "examples/workbench", "--format", "json"], repo_root, tmp_path, subprocess.DEVNULL)
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before anything was written
    assert process.wait(timeout=60) == 2


def test_a_profiled_batch_command_still_ends_as_usual(repo_root: Path) -> None:
    """`python -m cProfile -m auditor check ...` must get to print its statistics (no fast exit under a profiler)."""
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    command = [sys.executable, "-m", "cProfile", "-m", "auditor", "check", "examples/workbench", "--format", "json"]
    result = subprocess.run(command, env=env, cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "function calls" in result.stdout


def test_messages_never_fall_into_standard_output_when_standard_error_is_closed(
    tmp_path: Path, repo_root: Path
) -> None:
    """With fd 2 closed (`2>&-`) Python has no sys.stderr, and print(file=None) writes to standard output: an error
    line would land in the JSON a pipeline reads."""
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    arguments = ["check", "examples/workbench", "--format", "json", "--policies", str(tmp_path / "missing")]
    result = subprocess.run(
        [sys.executable, "-m", "auditor", *arguments],
        env=env,
        cwd=repo_root,
        stdout=subprocess.PIPE,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(2),  # noqa: PLW1509 - the child only closes its standard error
    )
    assert result.returncode == 2
    assert result.stdout == ""


def _workbench_with_a_broken_workflow(tmp_path: Path) -> Path:
    import shutil

    from auditor.examples import WORKBENCH

    copy = tmp_path / "workbench"
    shutil.copytree(WORKBENCH, copy)
    (copy / ".github" / "workflows" / "broken.yml").write_text("on: [\njobs: {\n")
    return copy


def test_access_with_an_unreadable_workflow_is_incomplete(tmp_path: Path, capsys) -> None:
    """The workflows beside the Terraform are part of the access graph: one that cannot be read may hide a path, so
    the answer says it is incomplete and the run exits 2, as `check` does for the same file."""
    from auditor.cli import main

    workbench = _workbench_with_a_broken_workflow(tmp_path)
    output = tmp_path / "access.json"
    assert main(["access", "matrix", str(workbench), "--format", "json", "--output", str(output)]) == 2
    answer = json.loads(output.read_text())
    assert answer["complete"] is False
    assert any("broken.yml" in error for error in answer["errors"])
    assert "broken.yml" in capsys.readouterr().err


def test_drift_with_an_unreadable_workflow_is_incomplete(tmp_path: Path) -> None:
    """`drift` judges live privilege escalation with the workflows beside the Terraform: an unreadable one makes
    the report incomplete (exit 2), never a clean result."""
    from auditor.cli import main
    from auditor.examples import WORKBENCH_LIVE_STATE
    from auditor.live.simulator import start_simulator

    workbench = _workbench_with_a_broken_workflow(tmp_path)
    output = tmp_path / "drift.json"
    simulator = start_simulator(json.loads(Path(WORKBENCH_LIVE_STATE).read_text()))
    try:
        code = main(
            [
                "drift",
                str(workbench),
                "--project",
                "acme-ml-platform",
                "--format",
                "json",
                "--output",
                str(output),
                "--api-endpoint",
                simulator.api_endpoint,
                "--grpc-endpoint",
                simulator.grpc_endpoint,
            ]
        )
    finally:
        simulator.stop()
    report = json.loads(output.read_text())
    assert code == 2
    assert report["complete"] is False
    assert any("broken.yml" in json.dumps(error) for error in report["errors"])


def test_access_on_an_unknown_resource_is_a_clear_error(capsys) -> None:
    from auditor.cli import main
    from auditor.examples import WORKBENCH

    code = main(["access", "who-can", "notebooks.instances.start", "--on", "no-such-project", str(WORKBENCH)])
    assert code == 2
    assert "--on no-such-project: no such project, instance or service account" in capsys.readouterr().err
