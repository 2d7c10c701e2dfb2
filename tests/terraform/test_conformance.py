"""Conformance with Google's own converter: bindings derived from terraform-validator's fixtures equal its output.

For every triplet `X.tf` / `X.tfplan.json` / `X.json` in `terraform-validator/rendered/` whose expected CAI assets
hold an IAM policy for a project, folder, organization or service account, the bindings we derive (from the plan,
and from the HCL) merged per scope as Google merges them equal the expected bindings (roles and members as sets).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest

from auditor.model import Authority, Binding, Scope, ScopeKind, Unresolved
from auditor.terraform.hcl import load_module
from auditor.terraform.plan import read_plan
from auditor.terraform.semantics import build_intent

RENDERED = (
    Path(os.environ.get("AUDITOR_SHARED", Path(__file__).resolve().parent.parent.parent.parent / "shared"))
    / "corpus/terraform-validator/rendered"
)

# CAI asset types that carry the IAM policy of a scope we model.
ASSET_SCOPES = {
    "cloudresourcemanager.googleapis.com/Project": ScopeKind.PROJECT,
    "cloudresourcemanager.googleapis.com/Folder": ScopeKind.FOLDER,
    "cloudresourcemanager.googleapis.com/Organization": ScopeKind.ORGANIZATION,
    "iam.googleapis.com/ServiceAccount": ScopeKind.SERVICE_ACCOUNT,
}

Policies = dict[str, dict[tuple[str, str], frozenset[str]]]
"""Scope (`kind:name`) -> binding identity (role, condition expression) -> members."""

# Fixtures whose expected output we do not (and should not) reproduce, with the reason, per source.
UNMATCHED = {
    "example_project_iam_member_empty_project": (
        "the project comes from random_string.suffix.result, unknown until apply; terraform-validator substitutes "
        "its own default project 'foobar' (not in the plan or the .tf), we keep the scope unresolved"
    ),
    "example_folder_iam_member_empty_folder": (
        "the folder comes from random_string.suffix.result, unknown until apply; terraform-validator invents a "
        "placeholder folder name, we keep the scope unresolved"
    ),
}


def expected_policies(assets: Iterable[dict]) -> Policies:
    """The expected IAM policies of the scopes we model, keyed like `scope_key` keys derived bindings."""
    policies: Policies = {}
    for asset in assets:
        kind = ASSET_SCOPES.get(asset.get("asset_type", ""))
        if kind is None or "iam_policy" not in asset:
            continue
        policy: dict[tuple[str, str], frozenset[str]] = {}
        for binding in asset["iam_policy"].get("bindings") or []:
            condition = (binding.get("condition") or {}).get("expression", "")
            identity = (binding["role"], condition)
            policy[identity] = policy.get(identity, frozenset()) | frozenset(binding["members"])
        policies[scope_key(kind, _asset_scope_name(kind, asset["name"]))] = policy
    return policies


def _asset_scope_name(kind: ScopeKind, asset_name: str) -> str:
    path = asset_name.split("//", 1)[1].split("/", 1)[1]  # drop `//service.googleapis.com/`
    last = path.rsplit("/", 1)[-1]
    if kind is ScopeKind.PROJECT:
        return last
    if kind is ScopeKind.FOLDER:
        # terraform-validator names some folders `//cloudresourcemanager.googleapis.com/67890`, without `folders/`.
        return f"folders/{last}" if last.isdigit() else last
    if kind is ScopeKind.ORGANIZATION:
        return f"organizations/{last}"
    return last


def scope_key(kind: ScopeKind, name: str | Unresolved) -> str:
    return str(Scope(kind, name))


def derived_policies(bindings: Iterable[Binding]) -> Policies:
    """Merge declared bindings per scope the way applying them would: policy, then bindings, members, removals."""
    order = {Authority.POLICY: 0, Authority.BINDING: 1, Authority.MEMBER: 2, Authority.REMOVE: 3}
    by_scope: dict[str, list[Binding]] = defaultdict(list)
    for binding in bindings:
        if binding.scope.kind in ASSET_SCOPES.values():
            by_scope[str(binding.scope)].append(binding)
    policies: Policies = {}
    for scope, scope_bindings in by_scope.items():
        policy: dict[tuple[str, str], frozenset[str]] = {}
        replaced: set[tuple[str, str]] = set()
        for binding in sorted(scope_bindings, key=lambda b: order[b.authority]):
            members = frozenset(m.member for m in binding.members)
            identity = binding.key
            if binding.authority is Authority.REMOVE:
                policy[identity] = policy.get(identity, frozenset()) - members
            elif binding.authority is Authority.BINDING and identity not in replaced:
                policy[identity] = members  # authoritative for its role: replaces what a policy said
                replaced.add(identity)
            else:
                policy[identity] = policy.get(identity, frozenset()) | members
        policies[scope] = {identity: members for identity, members in policy.items() if members}
    return policies


def _triplets() -> list[str]:
    if not RENDERED.is_dir():
        return []
    names = []
    for expected in sorted(RENDERED.glob("*.json")):
        name = expected.name.removesuffix(".json")
        if name.endswith(".tfplan") or not (RENDERED / f"{name}.tf").is_file():
            continue
        if not (RENDERED / f"{name}.tfplan.json").is_file():
            continue
        if expected_policies(json.loads(expected.read_text())):
            names.append(name)
    return names


def _cases() -> list:
    cases = []
    for name in _triplets():
        for source in ("plan", "hcl"):
            marks = [pytest.mark.xfail(strict=True, reason=UNMATCHED[name])] if name in UNMATCHED else []
            cases.append(pytest.param(name, source, marks=marks, id=f"{source}-{name}"))
    return cases


def _bindings_from_hcl(name: str) -> tuple[Binding, ...]:
    # The rendered directory holds ~50 unrelated configurations; load this one alone.
    instances, errors = load_module(RENDERED, files=[RENDERED / f"{name}.tf"])
    assert not errors, errors
    return build_intent(instances, errors).bindings


def test_corpus_has_the_expected_triplets(shared: Path) -> None:
    names = _triplets()
    assert "example_project_iam" in names and "example_organization_iam_policy" in names
    assert len(names) == 12, names


@pytest.mark.parametrize(("name", "source"), _cases())
def test_bindings_match_terraform_validator(shared: Path, name: str, source: str) -> None:
    expected = expected_policies(json.loads((RENDERED / f"{name}.json").read_text()))
    if source == "plan":
        instances, errors = read_plan(RENDERED / f"{name}.tfplan.json")
        assert not errors, errors
        bindings = build_intent(instances, errors).bindings
    else:
        bindings = _bindings_from_hcl(name)
    assert derived_policies(bindings) == expected


def test_unmatched_fixtures_keep_the_grant_unresolved(shared: Path) -> None:
    """The two fixtures we do not match still report the grant, with the unknown scope named."""
    for name in UNMATCHED:
        instances, _ = read_plan(RENDERED / f"{name}.tfplan.json")
        (binding,) = build_intent(instances).bindings
        assert isinstance(binding.scope.name, Unresolved)
        assert "random_string.suffix.result" in binding.scope.name.expression
        assert binding.unresolved == (binding.scope.name.expression,)


def test_merge_helper_applies_authority_order() -> None:
    """The helper itself: a policy is replaced per role by a binding, members add, removals subtract."""
    from auditor.model import Location, Principal

    scope = Scope(ScopeKind.PROJECT, "p")

    def make(role: str, members: list[str], authority: Authority) -> Binding:
        principals = tuple(Principal.parse(m) for m in members)
        return Binding(scope, role, principals, authority, f"x.{role}.{authority.value}", Location("t.tf", 1))

    merged = derived_policies(
        [
            make("roles/viewer", ["user:c"], Authority.MEMBER),
            make("roles/viewer", ["user:a"], Authority.POLICY),
            make("roles/viewer", ["user:b"], Authority.BINDING),
            make("roles/owner", ["user:a"], Authority.POLICY),
            make("roles/owner", ["user:a"], Authority.REMOVE),
        ]
    )
    assert merged == {"project:p": {("roles/viewer", ""): frozenset({"user:b", "user:c"})}}
