"""`auditor access`: the matrix of examples/workbench, who-can, what-can, formats and escaping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main

USERS = "group:ml-notebook-users@acme.example"
PLATFORM = "group:notebook-platform@acme.example"
CHATOPS = "notebook-chatops@acme-ml-platform.iam.gserviceaccount.com"
WORKFLOW = "examples/workbench/.github/workflows/notebook-chatops.yml"
_TOKEN_CREATOR_ON_ADMIN = """
resource "google_service_account" "ops" {
  project    = "p"
  account_id = "ops"
}
resource "google_project_iam_member" "ops" {
  project = "p"
  role    = "roles/notebooks.admin"
  member  = "serviceAccount:ops@p.iam.gserviceaccount.com"
}
resource "google_service_account_iam_member" "evil" {
  service_account_id = google_service_account.ops.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "MEMBER"
}
"""
"""A member (MEMBER) holding TokenCreator on `ops`, which administers notebooks in project p."""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["access", *argv])
    return code, capsys.readouterr().out


def test_workbench_matrix_keeps_the_three_promises(capsys: pytest.CaptureFixture[str], repo_root: Path) -> None:
    workflow = str(repo_root / WORKFLOW)
    trigger_name = f"anyone who can trigger {workflow}"
    code, out = run(capsys, "matrix", str(repo_root / "examples" / "workbench"), "--format", "json")
    assert code == 0
    answer = json.loads(out)
    assert answer["schema"] == "auditor.access/v1" and answer["query"] == "matrix"
    assert len(answer["instances"]) == 2
    for instance in answer["instances"]:
        columns = {name: {r["principal"]: r for r in cell} for name, cell in instance["columns"].items()}
        assert set(columns["use"]) == {USERS}
        # start/stop: the ChatOps trigger, limited to what the workflow runs, and its account, marked; the platform
        # team's notebooks.admin covers start/stop too
        assert set(columns["start/stop"]) == {trigger_name, CHATOPS, PLATFORM}
        trigger = columns["start/stop"][trigger_name]
        assert trigger["how"].startswith(f"only start|stop through {workflow}, as {CHATOPS} holding")
        assert trigger["workflow_identity"] is None
        # reconfigure/delete/change IAM: the platform team (an intended administrator) and the ChatOps account,
        # which holds the permissions although its workflow runs only start|stop -- never hidden, and nobody else
        for column in ("reconfigure", "delete", "change IAM"):
            assert set(columns[column]) == {PLATFORM, CHATOPS}, column
            assert columns[column][PLATFORM]["administrator"] is True
            assert columns[column][PLATFORM]["workflow_identity"] is None
        for column in ("start/stop", "reconfigure", "delete", "change IAM"):
            marked = columns[column][CHATOPS]["workflow_identity"]
            assert marked == {"workflow": workflow, "operations": ["start", "stop"]}
        assert set(columns["run code as its account"]) == {USERS}
        # each instance's users reach that instance's own account, no other
        name = instance["instance"].rpartition("/")[2]
        assert instance["account"] == f"{name}@acme-ml-platform.iam.gserviceaccount.com"
    code, out = run(capsys, "matrix", str(repo_root / "examples" / "workbench"))
    assert code == 0 and "nobody in IAM" not in out
    assert f"{CHATOPS} (identity of notebook-chatops.yml, which runs only start|stop): " in out


def test_risky_matrix_shows_the_paths(capsys: pytest.CaptureFixture[str], repo_root: Path) -> None:
    code, out = run(capsys, "matrix", str(repo_root / "examples" / "workbench-risky"))
    assert code == 0
    assert "group:notebook-users@example.com: as nb-shared@risky-project.iam.gserviceaccount.com" in out


def test_who_can_and_what_can(capsys: pytest.CaptureFixture[str], repo_root: Path) -> None:
    fixture = str(repo_root / "tests" / "fixtures" / "privilege-escalation")
    code, out = run(capsys, "who-can", "notebooks.instances.delete", fixture, "--on", "p-chain", "--format", "json")
    assert code == 0
    answer = json.loads(out)
    who = {r["principal"]: r for r in answer["principals"]}
    assert set(who) == {
        "user:sam@example.com",
        "a1@p-chain.iam.gserviceaccount.com",
        "a2@p-chain.iam.gserviceaccount.com",
        "a3@p-chain.iam.gserviceaccount.com",
    }
    assert len(who["user:sam@example.com"]["path"]) == 3 and who["a3@p-chain.iam.gserviceaccount.com"]["path"] == []
    code, out = run(capsys, "what-can", "user:sam@example.com", fixture, "--format", "json")
    answer = json.loads(out)
    assert {i["identity"] for i in answer["identities"]} == {f"a{n}@p-chain.iam.gserviceaccount.com" for n in (1, 2, 3)}
    assert any(p["permission"] == "notebooks.instances.delete" for p in answer["permissions"])


def test_markdown_mermaid_and_dot_escape_labels(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_TOKEN_CREATOR_ON_ADMIN.replace("MEMBER", 'user:a\\"]<b>|x@example.com'))
    code, out = run(capsys, "who-can", "notebooks.instances.delete", str(tmp_path), "--format", "markdown")
    assert code == 0
    mermaid = out.split("```mermaid", 1)[1]
    assert '#quot;]#lt;b#gt;#124;x@example.com"]' in mermaid and "<b>" not in mermaid
    assert "&#60;b&#62;" in out.split("```mermaid", 1)[0]
    code, out = run(capsys, "who-can", "notebooks.instances.delete", str(tmp_path), "--format", "dot")
    assert '"user:a\\"]<b>|x@example.com" -> "ops@p.iam.gserviceaccount.com"' in out


def test_unknown_principal_is_an_error(capsys: pytest.CaptureFixture[str], repo_root: Path) -> None:
    assert main(["access", "what-can", "user:nobody@x", str(repo_root / "examples" / "workbench")]) == 2
    assert "no such principal" in capsys.readouterr().err


def test_check_markdown_draws_the_open_escalation_paths(capsys: pytest.CaptureFixture[str], repo_root: Path) -> None:
    main(["check", str(repo_root / "examples" / "workbench-risky"), "--format", "markdown"])
    out = capsys.readouterr().out
    graph = out.split("### Escalation paths", 1)[1].split("```mermaid", 1)[1].split("```", 1)[0]
    assert '"sa-token (google_service_account_iam_member.contractor_token)"' in graph
    assert '["user:contractor@example.com"]' in graph
    main(["check", str(repo_root / "examples" / "workbench"), "--format", "markdown"])
    assert "Escalation paths" not in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "table"])
def test_escalation_step_locations_are_repository_relative(
    fmt: str, capsys: pytest.CaptureFixture[str], repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from a subdirectory: the path steps and the message name the file as the finding's location does."""
    monkeypatch.chdir(repo_root / "examples")
    main(["check", "../tests/fixtures/privilege-escalation", "--format", fmt])
    out = capsys.readouterr().out
    assert "tests/fixtures/privilege-escalation/main.tf" in out
    assert "../tests/fixtures/privilege-escalation/main.tf" not in out
    if fmt == "json":
        steps = [step for f in json.loads(out)["findings"] for step in f.get("path", [])]
        assert steps and all(step["location"].startswith("tests/fixtures/privilege-escalation/") for step in steps)


@pytest.mark.parametrize("fmt", ["table", "markdown", "dot"])
def test_control_characters_and_newlines_from_terraform_never_reach_the_output(
    fmt: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An ESC sequence, a BEL or a newline in a member or instance name cannot drive the terminal or forge a line."""
    (tmp_path / "main.tf").write_text(
        _TOKEN_CREATOR_ON_ADMIN.replace("MEMBER", "user:ev\\u001b[2Jil\\u0007\\nFORGED @example.com")
    )
    code, out = run(capsys, "who-can", "notebooks.instances.delete", str(tmp_path), "--format", fmt)
    assert code == 0 and "ev" in out
    assert "\x1b" not in out and "\x07" not in out
    assert not any(line.startswith("FORGED") for line in out.splitlines())


def test_markdown_mentions_are_neutralised(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A PR comment must not notify `@example` because a member name says so (as the check report does)."""
    (tmp_path / "main.tf").write_text(
        """
resource "google_project_iam_member" "m" {
  project = "p"
  role    = "roles/notebooks.admin"
  member  = "user:x @example.com"
}
"""
    )
    code, out = run(capsys, "who-can", "notebooks.instances.delete", str(tmp_path), "--format", "markdown")
    table = out.split("```mermaid", 1)[0]
    assert code == 0 and "x @" in out.split("```mermaid", 1)[1].replace("#", "")  # the label keeps its text
    assert "x @&#8203;example.com" in table and " @example" not in table


def test_markdown_link_and_emphasis_syntax_from_terraform_stays_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A member name cannot put a link (or bold, or a heading) into a PR comment: the access tables escape Markdown
    as the check report does."""
    member = "user:a[click](https://evil.example)**b**_c_@example.com"
    (tmp_path / "main.tf").write_text(_TOKEN_CREATOR_ON_ADMIN.replace("MEMBER", member))
    for query in (["who-can", "notebooks.instances.delete"], ["what-can", member]):
        code, out = run(capsys, *query, str(tmp_path), "--format", "markdown")
        table = out.split("```mermaid", 1)[0]
        assert code == 0 and "click" in table
        assert "](https://evil" not in table and "**b**" not in table and "_c_" not in table


def test_what_can_takes_a_bare_email(capsys: pytest.CaptureFixture[str], repo_root: Path) -> None:
    """The help says PRINCIPAL is an IAM member or an email: `alice@example.com` names `user:alice@example.com`."""
    fixture = str(repo_root / "tests" / "fixtures" / "privilege-escalation")
    code, bare = run(capsys, "what-can", "alice@example.com", fixture, "--format", "json")
    assert code == 0
    code, member = run(capsys, "what-can", "user:alice@example.com", fixture, "--format", "json")
    assert code == 0 and json.loads(bare)["identities"] == json.loads(member)["identities"] != []


def test_who_can_a_permission_nobody_tracks_is_an_error_not_an_answer(
    capsys: pytest.CaptureFixture[str], repo_root: Path
) -> None:
    """A typo (`notebooks.instance.delete`) must not answer with only the every-permission holders, as if complete."""
    fixture = str(repo_root / "tests" / "fixtures" / "privilege-escalation")
    assert main(["access", "who-can", "notebooks.instance.delete", fixture]) == 2
    err = capsys.readouterr().err
    assert "notebooks.instance.delete" in err and "did you mean notebooks.instances.delete" in err


def test_mermaid_draws_each_service_account_once(capsys: pytest.CaptureFixture[str], repo_root: Path) -> None:
    """The account a grant is on and the identity one acts as are one node, not two boxes with the same name."""
    code, out = run(capsys, "matrix", str(repo_root / "examples" / "workbench"), "--format", "markdown")
    chart = out.split("```mermaid", 1)[1].split("```", 1)[0].splitlines()
    labels = [line.split("[", 1)[1] for line in chart if "[" in line and "-->" not in line]
    assert code == 0 and labels and len(labels) == len(set(labels))


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_matrix_without_instances_says_so(fmt: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Not an empty page (or a Markdown table with no rows), which reads as "nobody has access"."""
    (tmp_path / "main.tf").write_text(_TOKEN_CREATOR_ON_ADMIN.replace("MEMBER", "user:a@example.com"))
    code, out = run(capsys, "matrix", str(tmp_path), "--format", fmt)
    assert code == 0 and "no notebook instances in the inputs" in out
    assert "|---|\n" not in out
