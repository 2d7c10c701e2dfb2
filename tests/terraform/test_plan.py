"""Plan source: `terraform show -json` files into resource instances (and through semantics, the model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.identities import PrincipalClass, classify
from auditor.model import DEFAULT_SERVICE_ACCOUNT, Authority, Location, ScopeKind, Unresolved
from auditor.terraform.plan import read_plan
from auditor.terraform.resources import policy_data_json
from auditor.terraform.semantics import build_intent

FIXTURE = Path(__file__).parent.parent / "fixtures/plan/modules"


def rendered(shared: Path) -> Path:
    return shared / "corpus/terraform-validator/rendered"


def write(tmp_path: Path, document: object, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


# --- the shared corpus --------------------------------------------------------------------------------------------


def test_every_corpus_plan_reads_without_errors(shared: Path) -> None:
    versions = set()
    plans = sorted(rendered(shared).glob("*.tfplan.json"))
    assert len(plans) >= 48
    for plan in plans:
        versions.add(json.loads(plan.read_text())["format_version"])
        instances, errors = read_plan(plan)
        assert errors == [], plan
        assert instances, plan
        assert all(i.location == Location(str(plan)) for i in instances)
    assert versions == {"0.1", "0.2", "1.0", "1.1"}


def test_data_source_read_at_plan_time_comes_from_prior_state(shared: Path) -> None:
    instances, _ = read_plan(rendered(shared) / "example_project_iam_policy.tfplan.json")
    data = [i for i in instances if i.mode == "data"]
    assert [i.address for i in data] == ["data.google_iam_policy.admin"]
    assert json.loads(data[0].get("policy_data"))["bindings"][0]["role"] == "roles/editor"


def test_unknown_project_set_from_a_computed_value_stays_unknown(shared: Path) -> None:
    instances, _ = read_plan(rendered(shared) / "example_project_iam_member_empty_project.tfplan.json")
    member = next(i for i in instances if i.type == "google_project_iam_member")
    project = member.get("project")
    assert isinstance(project, Unresolved)
    assert project.expression == "google_project_iam_member.test-valid-owner.project (from random_string.suffix.result)"
    assert project.origin == "random_string.suffix.result"  # what it hangs on: one value, shared by its users


def test_unset_computed_attributes_take_the_provider_default(shared: Path) -> None:
    """`project` is not set on the account: unknown in the plan, but it is the provider's project."""
    instances, _ = read_plan(rendered(shared) / "example_service_account.tfplan.json")
    (account,) = build_intent(instances).service_accounts
    assert account.project == "foobar"
    assert account.email == "service-account-id@foobar.iam.gserviceaccount.com"


def test_source_dir_gives_lines_in_the_tf_file(shared: Path, tmp_path: Path) -> None:
    source = rendered(shared) / "example_project_iam.tf"
    (tmp_path / "main.tf").write_text(source.read_text())
    instances, _ = read_plan(rendered(shared) / "example_project_iam.tfplan.json", tmp_path)
    lines = {i.address: i.location for i in instances}
    assert lines["google_project_iam_member.owner-a"] == Location(str(tmp_path / "main.tf"), 30)
    assert lines["google_project_iam_binding.storage"] == Location(str(tmp_path / "main.tf"), 57)


# --- our own 1.2 plan: modules, for_each, deferred data source, references --------------------------------------


@pytest.fixture(scope="module")
def module_plan():
    instances, errors = read_plan(FIXTURE / "plan.json", FIXTURE)
    assert errors == []
    return instances, build_intent(instances, errors)


def test_child_module_instances_have_full_addresses_and_module_locations(module_plan) -> None:
    instances, _ = module_plan
    by_address = {i.address: i for i in instances}
    workbench = by_address['module.notebook["bob"].google_workbench_instance.nb']
    assert workbench.location == Location(str(FIXTURE / "modules/notebook/main.tf"), 9)
    assert by_address["google_notebooks_instance.legacy"].location == Location(str(FIXTURE / "main.tf"), 42)
    assert len(instances) == 14


def test_provider_project_from_a_root_variable_reaches_child_modules(module_plan) -> None:
    instances, _ = module_plan
    assert {i.provider_project for i in instances} == {"data-platform"}
    assert {i.provider_zone for i in instances} == {"europe-west4-a"}


def test_service_account_references_are_resolved_like_the_hcl_side(module_plan) -> None:
    _, intent = module_plan
    scopes = {str(b.scope) for b in intent.bindings if b.scope.kind is ScopeKind.SERVICE_ACCOUNT}
    assert scopes == {
        "service_account:nb-runner@data-platform.iam.gserviceaccount.com",
        "service_account:nb-alice@data-platform.iam.gserviceaccount.com",
        "service_account:nb-bob@data-platform.iam.gserviceaccount.com",
    }
    admin = next(b for b in intent.bindings if b.role == "roles/notebooks.admin")
    assert [m.member for m in admin.members] == ["serviceAccount:nb-runner@data-platform.iam.gserviceaccount.com"]
    emails = {i.name: i.service_account for i in intent.instances}
    assert emails["nb-alice"] == "nb-alice@data-platform.iam.gserviceaccount.com"


def test_template_around_a_reference_stays_unresolved(module_plan) -> None:
    """`"serviceAccount:${google_service_account.runner.email}"` cannot be told from a plain reference in JSON."""
    _, intent = module_plan
    viewers = next(b for b in intent.bindings if b.address == "google_project_iam_binding.users")
    assert viewers.members[0].member == "group:data-science@example.com"
    assert viewers.unresolved == (
        "google_project_iam_binding.users.members[1] (from google_service_account.runner.email)",
    )
    # Still known to be that declared account: its symbolic identity, a user-managed service account.
    runner = viewers.members[1]
    assert runner.identity == "google_service_account.runner"
    assert classify(runner) is PrincipalClass.USER_MANAGED_SERVICE_ACCOUNT


def test_deferred_iam_policy_data_source_is_computed_from_its_bindings(module_plan) -> None:
    _, intent = module_plan
    (policy,) = [b for b in intent.bindings if b.authority is Authority.POLICY]
    assert policy.role == "roles/iam.serviceAccountUser"
    assert [m.member for m in policy.members] == ["group:platform@example.com"]
    assert policy.unresolved == ()


def test_instances_of_both_generations(module_plan) -> None:
    _, intent = module_plan
    legacy = next(i for i in intent.instances if i.generation == "v1")
    # service_account is not set, so the plan's "known after apply" is the default compute account.
    assert legacy.service_account == DEFAULT_SERVICE_ACCOUNT
    assert legacy.image == "deeplearning-platform-release/family:tf-latest-cpu"
    v2 = [i for i in intent.instances if i.generation == "v2"]
    assert [i.public_ip for i in v2] == [False, False]
    assert {str(b.scope) for b in intent.bindings if b.scope.kind is ScopeKind.WORKBENCH_INSTANCE} == {
        "workbench_instance:projects/data-platform/locations/europe-west4-a/instances/nb-alice",
        "workbench_instance:projects/data-platform/locations/europe-west4-a/instances/nb-bob",
    }


def test_nested_unknown_gets_its_attribute_path(tmp_path: Path) -> None:
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": 'google_workbench_instance.wb["a"]',
                        "mode": "managed",
                        "type": "google_workbench_instance",
                        "name": "wb",
                        "index": "a",
                        "values": {"name": "wb", "location": "z", "gce_setup": [{"service_accounts": [{}]}]},
                    }
                ]
            }
        },
        "resource_changes": [
            {
                "address": 'google_workbench_instance.wb["a"]',
                "change": {"after_unknown": {"gce_setup": [{"service_accounts": [{"email": True}]}]}},
            }
        ],
    }
    (instance,), errors = read_plan(write(tmp_path, plan))
    assert errors == []
    email = instance.get("gce_setup")[0]["service_accounts"][0]["email"]
    assert email == Unresolved('google_workbench_instance.wb["a"].gce_setup[0].service_accounts[0].email')
    (notebook,) = build_intent([instance]).instances
    assert notebook.service_account == email


def test_state_output_is_read_too(tmp_path: Path) -> None:
    state = {
        "format_version": "1.0",
        "values": {
            "root_module": {
                "child_modules": [
                    {
                        "address": "module.m[0]",
                        "resources": [
                            {
                                "address": "module.m[0].google_project_iam_member.x",
                                "mode": "managed",
                                "type": "google_project_iam_member",
                                "name": "x",
                                "values": {"project": "p", "role": "roles/viewer", "member": "user:a"},
                            }
                        ],
                    }
                ]
            }
        },
    }
    instances, errors = read_plan(write(tmp_path, state))
    assert errors == []
    assert [i.address for i in instances] == ["module.m[0].google_project_iam_member.x"]


# --- errors -------------------------------------------------------------------------------------------------------


def test_json_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{\n  "format_version": "1.2",\n  "planned_values": {,\n}')
    instances, (error,) = read_plan(path)
    assert instances == []
    assert (error.path, error.line, error.column) == (str(path), 3, 22)
    assert str(error).startswith(f"{path}:3:22: invalid JSON")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "not a Terraform plan"),
        ({"resources": []}, "no format_version"),
        ({"format_version": "2.0", "planned_values": {}}, "unsupported plan format_version 2.0"),
        ({"format_version": "1.2"}, "no planned_values"),
    ],
)
def test_not_a_plan_is_a_clean_error(tmp_path: Path, document: object, message: str) -> None:
    instances, (error,) = read_plan(write(tmp_path, document))
    assert instances == []
    assert message in error.message


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    instances, (error,) = read_plan(tmp_path / "absent.json")
    assert instances == [] and "cannot read plan" in error.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    document=json_values,
    mangled=json_values,
    key=st.sampled_from(
        [
            "values",
            "resources",
            "child_modules",
            "after_unknown",
            "expressions",
            "module_calls",
            "address",
            "index",
            "policy_data",
        ]
    ),
)
def test_mangled_plans_only_give_clean_errors(tmp_path: Path, document, mangled, key: str) -> None:
    base = json.loads((FIXTURE / "plan.json").read_text())
    text = json.dumps(base)
    # Replace every occurrence of one key's value with junk, and also try the junk as a whole document.
    mangled_base = json.loads(text.replace(f'"{key}":', f'"{key}": {json.dumps(mangled)}, "x_{key}":'))
    for candidate in (document, mangled_base):
        path = write(tmp_path, candidate)
        instances, errors = read_plan(path, FIXTURE)
        build_intent(instances, errors)  # must not raise either
        assert all(isinstance(e.message, str) for e in errors)


def test_policy_data_json_matches_the_provider_rendering(shared: Path) -> None:
    """The provider's own rendering in the corpus: compact JSON, keys sorted."""
    instances, _ = read_plan(rendered(shared) / "example_project_iam_policy.tfplan.json")
    data = next(i for i in instances if i.mode == "data")
    assert policy_data_json(data.blocks("binding")) == data.get("policy_data")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ([None], "resource_changes[0] is null, expected an object"),
        ([7], "resource_changes[0] is a number, expected an object"),
        ("x", "resource_changes is a string, expected a list"),
        ([{"address": 1, "change": {}}], "resource_changes[0].address is a number"),
        ([{"address": "google_project_iam_member.owner"}], "resource_changes[0].change is null"),
        (
            [{"address": "google_project_iam_member.owner", "change": {"after_unknown": True}}],
            "after_unknown is a boolean, expected an object",
        ),
    ],
)
def test_malformed_resource_changes_are_input_errors(tmp_path: Path, changes: object, problem: str) -> None:
    owner = {
        "address": "google_project_iam_member.owner",
        "mode": "managed",
        "type": "google_project_iam_member",
        "name": "owner",
        "values": {"project": "p", "role": "roles/owner", "member": "user:ana@example.com"},
    }
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [owner, None, 3]}},
        "resource_changes": changes,
    }
    instances, errors = read_plan(write(tmp_path, plan))
    messages = [e.message for e in errors]
    assert any(problem in m for m in messages), messages
    assert any("planned_values.root_module.resources[1] is null" in m for m in messages)
    # The known grant is still read as known: never a medium "unresolved".
    (binding,) = build_intent(instances, errors).bindings
    assert binding.role == "roles/owner" and binding.unresolved == ()
