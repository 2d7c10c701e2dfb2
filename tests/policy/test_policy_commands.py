"""`auditor policies` and `auditor explain` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main


def test_policies_plain_text_lists_every_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert (
        len(lines) == 29
    )  # 14 for Terraform (issue 3), 5 chatops-* (issue 6), 8 drift (issue 9), 1 (issue 11), 1 (10)
    assert any(line.split()[:3] == ["unmanaged-grant", "info", "(drift)"] for line in lines)
    assert lines[0].split()[:3] == ["basic-role-human", "medium", "member"]
    assert any(line.split()[:3] == ["chatops-expression-injection", "critical", "workflow"] for line in lines)
    assert "\x1b[" not in out  # no terminal styling when stdout is not a terminal


def test_policies_json_includes_team_policies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "team-rule.yaml").write_text(
        "id: team-rule\ntitle: t\nseverity: info\nsubject: key\ncondition: key.service_account_unresolved\n"
        "message: m\nrationale: r\nremediation: x\nreferences: []\n"
    )
    assert main(["policies", "--format", "json", "--policies", str(tmp_path)]) == 0
    document = json.loads(capsys.readouterr().out)
    by_id = {p["id"]: p for p in document["policies"]}
    assert by_id["team-rule"] == {
        "id": "team-rule",
        "title": "t",
        "severity": "info",
        "kind": "policy",
        "subject": "key",
        "builtin": False,
        "condition": "key.service_account_unresolved",
        "source": str(tmp_path / "team-rule.yaml"),
    }
    assert by_id["public-principal"]["severity"] == "critical"
    assert by_id["drift-privilege-expansion"] | {"source": "-"} == {
        "id": "drift-privilege-expansion",
        "title": "Terraform grants the role under a condition; the live grant has no condition or another one",
        "severity": "high",
        "kind": "drift",
        "subject": None,
        "builtin": True,
        "condition": None,
        "source": "-",
    }


def test_explain_a_drift_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "unmanaged-grant"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("unmanaged-grant: A live grant that Terraform does not manage")
    assert "kind:      drift" in out and "condition" not in out
    assert "Bring the grant under Terraform or revoke it" in out


def test_explain_and_policies_escape_terminal_control_sequences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "team-rule.yaml").write_text(
        'id: team-rule\ntitle: "t\\x1b[2J\\x1b]0;pwned\\x07"\nseverity: info\nsubject: key\n'
        'condition: key.service_account_unresolved\nmessage: m\nrationale: "r\\x1b[31m"\nremediation: x\n'
        "references: []\n"
    )
    assert main(["explain", "team-rule", "--policies", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "t\\x1b[2J" in out
    assert main(["policies", "--policies", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "t\\x1b[2J" in out


def test_bad_team_policy_exits_2_with_file_and_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "id: broken\ntitle: t\nseverity: low\nsubject: key\ncondition: 'key.address =='\n"
        "message: m\nrationale: r\nremediation: x\nreferences: []\n"
    )
    assert main(["policies", "--policies", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"auditor: error: {path}: broken: condition is not valid CEL")
    assert "Traceback" not in err


def test_explain_shows_every_part(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "default-compute-service-account"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("default-compute-service-account: A notebook instance runs as the Compute Engine default")
    for part in ("severity:  high", "subject:   instance", "condition (CEL", "instance.uses_default_service_account"):
        assert part in out
    assert "rationale:" in out and "remediation:" in out
    assert "https://cloud.google.com/compute/docs/access/service-accounts#default_service_account" in out


def test_explain_unknown_id_exits_2_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "public-principals"]) == 2
    assert "no policy with id 'public-principals' (did you mean public-principal?)" in capsys.readouterr().err
