from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from auditor.config import Config, ConfigIgnore, load_config
from auditor.errors import UsageError
from auditor.model import Severity

FULL = """
fail_on = "medium"
policies = ["team-policies"]
disable = ["notebook-root-access"]
project_numbers = ["123456789012"]

[[ignore]]
policy = "basic-role-human"
address = "google_project_iam_member.owner*"
reason = "break-glass"
until = 2026-12-31

[[ignore]]
policy = "notebook-public-ip"
address = "google_workbench_instance.lab"
reason = "temporary demo"
until = "2026-01-15"
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra" / "notebooks").mkdir(parents=True)
    return tmp_path


def test_defaults_when_no_config_file(repo: Path) -> None:
    config = load_config([repo / "infra"], None)
    assert config == Config()
    assert config.fail_on is Severity.HIGH


def test_auditor_toml_found_by_walking_up(repo: Path) -> None:
    (repo / "infra" / "auditor.toml").write_text(FULL)
    config = load_config([repo / "infra" / "notebooks"], None)
    assert config.path == repo / "infra" / "auditor.toml"
    assert config.fail_on is Severity.MEDIUM
    assert config.policies == ((repo / "infra" / "team-policies").resolve(),)
    assert config.disable == ("notebook-root-access",)
    assert config.project_numbers == ("123456789012",)
    first, second = config.ignore
    assert first == ConfigIgnore(
        "basic-role-human",
        "google_project_iam_member.owner*",
        "break-glass",
        dt.date(2026, 12, 31),
        source=f"{repo / 'infra' / 'auditor.toml'}: ignore[0]",
    )
    assert second.until == dt.date(2026, 1, 15)


def test_walk_starts_from_a_scanned_file(repo: Path) -> None:
    (repo / "auditor.toml").write_text('fail_on = "low"\n')
    plan = repo / "infra" / "plan.json"
    plan.write_text("{}")
    assert load_config([plan], None).fail_on is Severity.LOW


def test_pyproject_tool_table(repo: Path) -> None:
    body = FULL.replace("[[ignore]]", "[[tool.auditor.ignore]]")
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.auditor]\n" + body)
    config = load_config([repo / "infra" / "notebooks"], None)
    assert config.path == repo / "pyproject.toml"
    assert config.fail_on is Severity.MEDIUM and len(config.ignore) == 2


def test_pyproject_without_table_is_skipped(repo: Path) -> None:
    (repo / "auditor.toml").write_text('fail_on = "critical"\n')
    (repo / "infra" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_config([repo / "infra" / "notebooks"], None).fail_on is Severity.CRITICAL


def test_auditor_toml_wins_over_pyproject_in_the_same_directory(repo: Path) -> None:
    (repo / "auditor.toml").write_text('fail_on = "critical"\n')
    (repo / "pyproject.toml").write_text('[tool.auditor]\nfail_on = "low"\n')
    assert load_config([repo], None).fail_on is Severity.CRITICAL


def test_auditor_toml_may_use_a_tool_table(repo: Path) -> None:
    (repo / "auditor.toml").write_text('[tool.auditor]\nfail_on = "info"\n')
    assert load_config([repo], None).fail_on is Severity.INFO


def test_walk_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text('fail_on = "info"\n')
    repo = tmp_path / "checkout"
    (repo / ".git").mkdir(parents=True)
    assert load_config([repo], None) == Config()


def test_explicit_path_overrides_discovery(repo: Path) -> None:
    (repo / "auditor.toml").write_text('fail_on = "critical"\n')
    explicit = repo / "ci.toml"
    explicit.write_text('fail_on = "low"\n')
    config = load_config([repo], explicit)
    assert config.path == explicit and config.fail_on is Severity.LOW


def test_different_configs_for_different_paths_is_an_error(repo: Path) -> None:
    (repo / "a").mkdir()
    (repo / "b").mkdir()
    (repo / "a" / "auditor.toml").write_text("")
    (repo / "b" / "auditor.toml").write_text("")
    with pytest.raises(UsageError, match="different config files"):
        load_config([repo / "a", repo / "b"], None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fail_on = ", "invalid TOML"),
        ('fial_on = "high"', "unknown key.*fial_on"),
        ('fail_on = "severe"', "fail_on: unknown severity"),
        ("fail_on = 3", "fail_on: expected a string"),
        ('policies = "dir"', "policies: expected a list of strings"),
        ("disable = ['Not An Id']", "not a policy id"),
        ("project_numbers = [123456789012]", "project_numbers: expected a list of strings"),
        ("project_numbers = ['my-project']", "not a project number"),
        ("ignore = 'x'", "ignore must be an array"),
        ("[[ignore]]\npolicy = 'public-principal'\naddress = 'a'\n", "missing reason"),
        ("[[ignore]]\npolicy = 'public-principal'\naddress = 'a'\nreason = '  '\n", "needs a reason"),
        ("[[ignore]]\npolicy = 'public-principal'\naddress = 'a'\nreason = 'r'\nexpires = 1\n", "unknown key.*expires"),
        (
            "[[ignore]]\npolicy = 'public-principal'\naddress = 'a'\nreason = 'r'\nuntil = 'soon'\n",
            "until: expected a date",
        ),
        ("[[ignore]]\npolicy = 'p'\naddress = 'a*b'\nreason = 'r'\n", "trailing \\*"),
        ('fail_on = "low"\n[tool.auditor]\nfail_on = "high"\n', "not both"),
    ],
)
def test_bad_config_is_a_usage_error_naming_the_file(repo: Path, text: str, message: str) -> None:
    path = repo / "auditor.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message) as raised:
        load_config([repo], None)
    assert str(raised.value).startswith(f"{path}: ")


def test_explicit_missing_file_and_pyproject_without_table(repo: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        load_config([repo], repo / "nope.toml")
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(UsageError, match=r"no \[tool.auditor\] table"):
        load_config([repo], repo / "pyproject.toml")


def test_check_policy_ids_rejects_typos(repo: Path) -> None:
    (repo / "auditor.toml").write_text(
        "disable = ['notebok-root-access']\n[[ignore]]\npolicy = 'public-principal'\naddress = 'a'\nreason = 'r'\n"
    )
    config = load_config([repo], None)
    # The same closest-name hint as a typo in a suppression comment or `auditor explain` gets.
    with pytest.raises(UsageError, match=r"notebok-root-access \(did you mean notebook-root-access\?\)"):
        config.check_policy_ids({"notebook-root-access", "public-principal"})
    config.check_policy_ids({"notebok-root-access", "public-principal"})


def test_config_ignore_matching() -> None:
    exact = ConfigIgnore("p", 'google_project_iam_member.x["a"]', "r")
    glob = ConfigIgnore("p", "module.team.*", "r")
    assert exact.matches("p", 'google_project_iam_member.x["a"]')
    assert not exact.matches("p", 'google_project_iam_member.x["b"]')
    assert not exact.matches("q", 'google_project_iam_member.x["a"]')
    assert glob.matches("p", "module.team.google_project_iam_member.y")
    assert not glob.matches("p", "module.other.google_project_iam_member.y")


def test_a_config_that_cannot_be_read_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auditor.cli import main

    (tmp_path / "main.tf").write_text("")
    (tmp_path / "cfg").mkdir()
    assert main(["check", str(tmp_path), "--config", str(tmp_path / "cfg")]) == 2
    err = capsys.readouterr().err
    assert "cfg: cannot read the config: it is a directory" in err and "Traceback" not in err
    bad = tmp_path / "auditor.toml"
    bad.write_bytes(b'fail_on = "\xff\xfe"\n')
    with pytest.raises(UsageError, match="auditor.toml: "):
        load_config([tmp_path])
