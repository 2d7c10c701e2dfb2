"""The acceptance test of each built-in Terraform policy: its fixture's NOT OK resources are exactly the ones it
flags. The `workflow` policies (chatops-*) have workflow fixtures in fixtures/workflows/<id>/, tested in
test_workflows.py.

Needs the HCL intent loader (`auditor.terraform.load_intent`) and the role catalog; skips until both are merged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.model import Intent
from auditor.policy import SubjectKind, evaluate, load_policies
from tests.policy_fixtures import MarkerError, read_markers

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ALL_POLICIES = {p.id: p for p in load_policies()}
POLICIES = {i: p for i, p in ALL_POLICIES.items() if p.subject not in (SubjectKind.WORKFLOW, None)}
"""Policies judged on Terraform fixtures (workflow policies have their own; drift rules need a live project)."""
QUOTE = '"'


def load(paths: list[Path]) -> Intent:
    try:
        from auditor.terraform import load_intent
    except ImportError:
        pytest.skip("intent loader not merged")
    try:
        import auditor.roles.catalog  # noqa: F401
    except ImportError:
        pytest.skip("role catalog not merged")
    return load_intent(paths)


def flagged_addresses(policy_id: str, intent: Intent) -> set[str]:
    policy = POLICIES[policy_id]
    findings = evaluate(intent, [policy])
    resources = {finding.resource for finding in findings}
    if policy.subject is SubjectKind.CONFLICT:
        # A conflict is reported once, at its first address; every resource in it is at fault.
        return {a for c in intent.conflicts if c.addresses and c.addresses[0] in resources for a in c.addresses}
    return resources


def test_every_builtin_policy_has_a_fixture() -> None:
    missing = sorted(policy_id for policy_id in POLICIES if not (FIXTURES / policy_id / "main.tf").is_file())
    assert missing == []
    workflow_ids = {i for i, p in ALL_POLICIES.items() if p.subject is SubjectKind.WORKFLOW}
    assert workflow_ids  # the chatops-* policies are built in too
    assert sorted(i for i in workflow_ids if not list((FIXTURES / "workflows" / i).glob("*.yml"))) == []


@pytest.mark.parametrize("policy_id", sorted(POLICIES))
def test_fixture_markers_are_complete(policy_id: str) -> None:
    expectations = read_markers(FIXTURES / policy_id)
    assert expectations.failing, "a fixture needs at least one NOT OK resource"
    assert expectations.passing, "a fixture needs at least one OK resource"


@pytest.mark.parametrize("policy_id", sorted(POLICIES))
def test_policy_flags_exactly_the_not_ok_resources(policy_id: str) -> None:
    directory = FIXTURES / policy_id
    expectations = read_markers(directory)
    intent = load([directory])
    assert not intent.errors, intent.errors
    assert flagged_addresses(policy_id, intent) == set(expectations.failing)


def test_marker_reader_refuses_unmarked_resources(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('# NOT OK: x\n# more words\nresource "a" "b" {\n}\n\nresource "c" "d" {\n}\n')
    with pytest.raises(MarkerError, match=r"main.tf:6: c.d has no # OK / # NOT OK marker"):
        read_markers(tmp_path)
    (tmp_path / "main.tf").write_text('# OK\nresource "c" "d" {\n}\n# NOT OK - reason\nresource "a" "b" {}\n')
    expectations = read_markers(tmp_path)
    assert expectations.failing == {"a.b"} and expectations.passing == {"c.d"}


@pytest.mark.parametrize("policy_id", sorted(POLICIES))
def test_fixture_is_valid_hcl_and_every_block_is_marked(policy_id: str) -> None:
    import hcl2

    path = FIXTURES / policy_id / "main.tf"
    with path.open(encoding="utf-8") as handle:
        document = hcl2.load(handle)
    # python-hcl2 keeps the labels' quotes (`"google_x"`): strip them to compare with addresses.
    declared = {
        f"{rtype.strip(QUOTE)}.{name.strip(QUOTE)}"
        for block in document.get("resource", [])
        for rtype, by_name in block.items()
        for name in by_name
    }
    expectations = read_markers(path.parent)
    assert declared == expectations.failing | expectations.passing


def test_risky_example_breaks_every_builtin_policy(repo_root: Path) -> None:
    from auditor.workflows.files import discover
    from auditor.workflows.reader import read_workflows

    root = repo_root / "examples" / "workbench-risky"
    intent = load([root])
    assert not intent.errors, intent.errors
    workflows, errors = read_workflows(discover(root), root)
    assert errors == () and len(workflows) == 1
    rules = {finding.rule for finding in evaluate(intent, list(ALL_POLICIES.values()), workflows=workflows)}
    assert rules == {policy_id for policy_id, policy in ALL_POLICIES.items() if policy.subject is not None}
