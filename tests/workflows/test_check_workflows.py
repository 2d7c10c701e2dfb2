"""`auditor check` reads GitHub Actions workflows beside the Terraform: the shipped examples end to end, the
`--workflows` option, and workflow read errors as an incomplete audit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from auditor.cli import main

CHATOPS_IDS = {
    "chatops-expression-injection",
    "chatops-unrestricted-operation",
    "chatops-overbroad-identity",
    "chatops-key-credential",
    "chatops-unpinned-action",
}
RISKY_WORKFLOW = ".github/workflows/notebook-chatops.yml"


def check(tmp_path: Path, *args: str | Path) -> tuple[int, dict]:
    output = tmp_path / "report.json"
    code = main(["check", *map(str, args), "--format", "json", "--output", str(output)])
    return code, json.loads(output.read_text(encoding="utf-8"))


def test_safe_reference_is_clean(repo_root: Path, tmp_path: Path) -> None:
    code, report = check(tmp_path, repo_root / "examples" / "chatops")
    assert (report["findings"], report["errors"]) == ([], [])
    assert report["complete"] is True and code == 0


def test_risky_example_reports_every_chatops_policy_at_the_workflow(repo_root: Path, tmp_path: Path) -> None:
    root = repo_root / "examples" / "workbench-risky"
    code, report = check(tmp_path, root)
    assert code == 1 and report["errors"] == []
    chatops = {f["rule"]: f for f in report["findings"] if f["rule"].startswith("chatops-")}
    assert set(chatops) == CHATOPS_IDS
    workflow = str(root / RISKY_WORKFLOW)
    assert {f["resource"] for f in chatops.values()} == {workflow}
    # Locations are reported relative to the repository root, like the Terraform ones.
    assert {f["location"]["path"] for f in chatops.values()} == {f"examples/workbench-risky/{RISKY_WORKFLOW}"}
    assert chatops["chatops-expression-injection"]["location"]["line"] == 21
    assert chatops["chatops-expression-injection"]["severity"] == "critical"
    overbroad = chatops["chatops-overbroad-identity"]["message"]
    assert "google_project_iam_member.chatops_admin" in overbroad and "notebooks.instances.delete" in overbroad
    # ... and the Terraform beside it still breaks every built-in Terraform policy.
    assert len({f["rule"] for f in report["findings"]} - CHATOPS_IDS) == 15  # 14 + privilege-escalation


def test_workflows_option_replaces_discovery(repo_root: Path, tmp_path: Path) -> None:
    safe = repo_root / "examples" / "chatops" / ".github" / "workflows"
    _, report = check(tmp_path, repo_root / "examples" / "workbench-risky", "--workflows", safe)
    # The safe workflow alone is read (the risky one beside the Terraform is not); judged against the risky
    # Terraform, only its instance allowlist is wrong: analytics-alice/bob are not declared there.
    (finding,) = [f for f in report["findings"] if f["rule"].startswith("chatops-")]
    assert finding["rule"] == "chatops-unrestricted-operation"
    assert "analytics-alice, analytics-bob" in finding["message"] and "does not declare" in finding["message"]
    assert str(safe) in report["scanned"]
    code, report = check(tmp_path, repo_root / "examples" / "chatops", "--workflows", repo_root / "examples")
    assert code == 1
    assert {f["rule"] for f in report["findings"]} >= {"chatops-expression-injection", "chatops-key-credential"}


def test_discovery_looks_down_only_and_skips_plan_files(repo_root: Path, tmp_path: Path) -> None:
    terraform = tmp_path / "infra"
    terraform.mkdir()
    (terraform / "main.tf").write_text('resource "google_service_account" "a" {\n  account_id = "a"\n}\n')
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "risky.yml").write_text((repo_root / "examples" / "workbench-risky" / RISKY_WORKFLOW).read_text())
    code, report = check(tmp_path / "out", terraform)
    assert (code, report["findings"], report["errors"]) == (0, [], [])
    code, report = check(tmp_path / "out", tmp_path)
    assert code == 1 and {f["rule"] for f in report["findings"]} >= CHATOPS_IDS


def test_unreadable_workflows_make_the_audit_incomplete(tmp_path: Path) -> None:
    workflows = tmp_path / "repo" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "broken.yml").write_text("on: push\njobs:\n  a: [\n")
    code, report = check(tmp_path, tmp_path / "repo")
    assert code == 2 and report["complete"] is False
    (error,) = report["errors"]
    assert error["path"].endswith("broken.yml") and error["line"] == 4
    code, report = check(tmp_path, tmp_path / "repo", "--workflows", tmp_path / "missing")
    assert code == 2
    assert [e["path"] for e in report["errors"]] == [str(tmp_path / "missing")]


def test_check_with_workflows_never_imports_cloud_or_chat_clients(repo_root: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from auditor.cli import main; "
        f"main(['check', {str(repo_root / 'examples' / 'workbench-risky')!r}, '--format', 'json', "
        f"'--output', {str(tmp_path / 'r.json')!r}]); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'google', 'grpc', 'slack_sdk'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo_root, check=True)
    assert result.stdout.strip() == "[]"
    assert {f["rule"] for f in json.loads((tmp_path / "r.json").read_text())["findings"]} >= CHATOPS_IDS
