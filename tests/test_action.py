"""The GitHub Action, the example workflows and the pre-commit hook we ship: inputs reach scripts only through
`env:`, actions are pinned, and zizmor (offline) finds nothing at medium or above."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from auditor.workflows import yamlnodes

REPO = Path(__file__).resolve().parent.parent
SHIPPED = (
    REPO / "action.yml",
    REPO / "examples" / "github" / "terraform-pr.yml",
    REPO / "examples" / "github" / "iam-drift.yml",
    REPO / "examples" / "chatops" / ".github" / "workflows" / "notebook-startstop.yml",
)
RISKY = REPO / "examples" / "workbench-risky" / ".github" / "workflows" / "notebook-chatops.yml"
SHA_PIN = re.compile(r"^[\w.\-]+/[\w.\-/]+@[0-9a-f]{40}$")


def _steps(document: dict) -> list[dict]:
    if "runs" in document:
        return list(document["runs"]["steps"])
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def _zizmor() -> str:
    found = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    if not Path(found).exists():
        pytest.skip("zizmor is not installed (pip install '.[test]')")
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_no_expression_inside_any_run_script_and_every_action_pinned(path: Path) -> None:
    document = yamlnodes.load(path.read_text())
    steps = _steps(document)
    assert steps
    for step in steps:
        if "run" in step:
            assert "${{" not in step["run"], f"{path.name}:{step['run'].line}: expression inside run:"
        if "uses" in step and not step["uses"].startswith("./"):
            assert SHA_PIN.match(step["uses"]), f"{path.name}:{step['uses'].line}: {step['uses']} is not SHA-pinned"


def test_action_inputs_reach_scripts_only_through_env() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert {"path", "fail-on", "policies", "workflows", "config", "comment", "sarif"} <= set(action["inputs"])
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    used = {
        name
        for step in steps
        for value in (step.get("env") or {}).values()
        for name in re.findall(r"inputs\.([\w-]+)", str(value))
    }
    assert {"path", "fail-on", "policies", "workflows", "config", "sarif"} <= used
    install = next(step for step in steps if "pip install" in step.get("run", ""))
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    audit = next(step for step in steps if step.get("id") == "check")["run"]
    assert "--format markdown" in audit and "--format sarif" in audit and "$GITHUB_STEP_SUMMARY" in audit
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@") and "inputs.sarif" in upload["if"]
    comment = next(step for step in steps if "comment" in step.get("name", "").lower())
    assert "<!-- auditor-report -->" in comment["run"] and "PATCH" in comment["run"]
    assert "pull_request" in comment["if"] and "inputs.comment" in comment["if"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_no_hash_files_outside_the_workspace(path: Path) -> None:
    """hashFiles() only sees files under GITHUB_WORKSPACE: on a file in runner.temp it is always '', so a step
    conditioned on it never runs (the SARIF upload never happened)."""
    for call in re.findall(r"hashFiles\(([^)]*)\)", path.read_text()):
        assert "runner.temp" not in call and "RUNNER_TEMP" not in call, f"{path.name}: hashFiles({call})"


def test_sarif_upload_runs_when_the_audit_wrote_sarif() -> None:
    steps = yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]
    audit = next(step for step in steps if step.get("id") == "check")["run"]
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert "steps.check.outputs.sarif" in upload["if"]
    assert 'if [ -s "$out/auditor.sarif" ]; then echo "sarif=$out/auditor.sarif"' in audit


def test_drift_example_keeps_one_issue_and_notifies_only_new() -> None:
    workflow = yamlnodes.load((REPO / "examples" / "github" / "iam-drift.yml").read_text())
    assert "schedule" in workflow["on"]
    steps = _steps(workflow)
    auth = next(step for step in steps if step.get("uses", "").startswith("google-github-actions/auth@"))
    assert "workload_identity_provider" in auth["with"] and "credentials_json" not in auth["with"]
    scripts = "\n".join(step.get("run", "") for step in steps)
    assert "--format json --output report.json" in scripts and "--format markdown" in scripts
    assert "gh issue close" in scripts and "gh issue edit" in scripts and "--label iam-drift" in scripts
    assert "auditor notify slack --report report.json --baseline baseline.json" in scripts


def test_pre_commit_hook() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook == {
        "id": "auditor-check",
        "name": hook["name"],
        "description": hook["description"],
        "entry": "auditor check",
        "language": "python",
        "files": hook["files"],
        "pass_filenames": False,
    }
    # The hook runs on a change to what `auditor check` reads: Terraform, and workflows in any .github/workflows.
    files = re.compile(hook["files"])
    changed = ("main.tf", "infra/iam.tf", ".github/workflows/chatops.yml", "sub/.github/workflows/a.yaml")
    assert all(files.search(path) for path in changed)
    assert not any(files.search(path) for path in ("README.md", "docs/a.yml", ".github/workflows/x/a.yml.txt"))


def _zizmor_findings(paths: list[Path]) -> list[dict]:
    result = subprocess.run(
        [_zizmor(), "--offline", "--format", "json", "--no-progress", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip().startswith("["), result.stderr
    return json.loads(result.stdout)


def test_zizmor_offline_finds_nothing_at_medium_or_above_in_what_we_ship() -> None:
    findings = _zizmor_findings(list(SHIPPED))
    serious = [
        (f["ident"], f["desc"], json.dumps(f["locations"])[:300], f["determinations"]["severity"])
        for f in findings
        if f["determinations"]["severity"] in ("Medium", "High") and not f.get("ignored")
    ]
    assert serious == []


def test_zizmor_does_see_the_risky_example() -> None:
    idents = {f["ident"] for f in _zizmor_findings([RISKY])}
    assert {"template-injection", "unpinned-uses"} <= idents
