"""Terraform read as Terraform reads it: one fixture directory per case in tests/fixtures/terraform/.

Each directory holds Terraform and an `expected.json`: the (policy, resource) findings without variables, the
input errors expected (`"errors": [substring, ...]`, the run is then incomplete), a message substring, and, for a
directory with a `*.tfvars`, how that value changes the verdict (`changed_by_tfvars`, with the reason).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.model import Intent, Unresolved
from auditor.policy import evaluate, load_policies
from auditor.terraform import load_intent

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "terraform"
POLICIES = [p for p in load_policies() if p.subject.value != "workflow"]
DIRECTORIES = sorted(d for d in CASES.iterdir() if (d / "expected.json").is_file())
WITH_TFVARS = [d for d in DIRECTORIES if list(d.glob("*.tfvars"))]


def expected(directory: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((directory / "expected.json").read_text(encoding="utf-8"))
    return loaded


def findings(intent: Intent) -> set[tuple[str, str]]:
    return {(f.rule, f.resource) for f in evaluate(intent, POLICIES)}


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda d: d.name)
def test_case_findings_and_errors(directory: Path) -> None:
    expect = expected(directory)
    intent = load_intent([directory])
    errors = [str(e) for e in intent.errors]
    for wanted in expect.get("errors", []):
        assert any(wanted in e for e in errors), (wanted, errors)
    if not expect.get("errors"):
        assert errors == []
    assert findings(intent) == {tuple(f) for f in expect["findings"]}
    if "message" in expect:
        assert any(expect["message"] in f.message for f in evaluate(intent, POLICIES))


def identified(intent: Intent) -> set[tuple[str, str, str, str]]:
    """Findings as (policy, resource, principal identity, role), independent of how far values resolved: a
    declared service account is its address, a declared custom role its address."""
    members: dict[tuple[str, str], str] = {}
    roles: dict[str, str] = {}
    custom = {r.role: r.address for r in intent.custom_roles if isinstance(r.role, str)}
    for binding in intent.bindings:
        role = binding.role
        if isinstance(role, Unresolved):
            roles[binding.address] = role.declared_by or role.origin
        else:
            roles[binding.address] = custom.get(role, role)
        for member in binding.members:
            members[(binding.address, member.member)] = member.identity or member.member.lower()
    out = set()
    for finding in evaluate(intent, POLICIES):
        principal = members.get((finding.resource, finding.principal or ""), finding.principal or "")
        role = roles.get(finding.resource, finding.role or "")
        out.add((finding.rule, finding.resource, principal, role))
    return out


@pytest.mark.parametrize("directory", WITH_TFVARS, ids=lambda d: d.name)
def test_a_value_changes_findings_only_where_it_changes_the_verdict(directory: Path) -> None:
    (tfvars,) = directory.glob("*.tfvars")
    without = identified(load_intent([directory]))
    with_value = identified(load_intent([directory], var_files=[tfvars]))
    change = expected(directory).get("changed_by_tfvars", {"removed": [], "added": []})
    removed = {(rule, resource) for rule, resource, _, _ in without - with_value}
    added = {(rule, resource) for rule, resource, _, _ in with_value - without}
    assert removed == {tuple(f) for f in change["removed"]}
    assert added == {tuple(f) for f in change["added"]}
