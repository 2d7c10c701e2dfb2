"""The committed policy pages are exactly what the policy files generate: docs cannot drift from policies."""

from __future__ import annotations

from pathlib import Path

from auditor.cli import main
from auditor.policy.docs import help_uri, render_page
from auditor.policy.loader import load_policies


def test_every_builtin_policy_has_its_generated_page(repo_root: Path) -> None:
    policies = load_policies()
    pages = repo_root / "docs" / "policies"
    for policy in policies:
        page = pages / f"{policy.id}.md"
        assert page.is_file(), f"run: python -m auditor.policy.docs docs/policies ({page} missing)"
        assert page.read_text(encoding="utf-8") == render_page(policy), f"{page} is stale: regenerate it"
    assert {p.stem for p in pages.glob("*.md")} == {p.id for p in policies}


def test_explain_links_the_page(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["explain", "human-notebook-admin"]) == 0
    assert help_uri("human-notebook-admin") in capsys.readouterr().out
