"""The HCL source, feature by feature, on small configurations written for each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.model import Unresolved
from auditor.terraform.expressions import Evaluator
from auditor.terraform.hcl import find_root_modules, load_module
from auditor.terraform.resources import ResourceInstance
from auditor.terraform.syntax import parse_text


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


def load(directory: Path, **kwargs: object) -> dict[str, ResourceInstance]:
    instances, errors = load_module(directory, **kwargs)  # type: ignore[arg-type]
    assert not errors, errors
    return {i.address: i for i in instances}


def evaluate(expression: str, **names: object) -> object:
    parsed = parse_text(f"x = {expression}\n", "expr.tf")
    assert not isinstance(parsed, Exception) and hasattr(parsed, "body"), parsed
    evaluator = Evaluator(lambda name: names[name])
    return evaluator.evaluate(parsed.body.attributes["x"].expression)


def test_variables_take_tfvars_then_auto_tfvars_then_var_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
resource "google_project_iam_member" "m" {
  project = "p"
  role    = "roles/${var.a}-${var.b}-${var.c}-${var.d}"
  member  = "user:x@example.com"
}
""",
            "terraform.tfvars": 'b = "tfvars"\nc = "tfvars"\nd = "tfvars"\n',
            "z.auto.tfvars": 'c = "auto"\nd = "auto"\n',
            "extra.tfvars": 'd = "varfile"\n',
        },
    )
    resources = load(tmp_path, var_files=[tmp_path / "extra.tfvars"])
    assert resources["google_project_iam_member.m"].get("role") == "roles/default-tfvars-auto-varfile"


def test_unset_variable_is_unresolved_not_dropped(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
variable "who" {}
resource "google_project_iam_member" "m" {
  project = "p"
  role    = "roles/notebooks.admin"
  member  = "user:${var.who}"
}
"""
        },
    )
    member = load(tmp_path)["google_project_iam_member.m"].get("member")
    assert isinstance(member, Unresolved)
    assert (member.expression, member.shape) == ("var.who", "user:{var.who}")


def test_locals_reference_each_other_in_any_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
locals {
  member = "group:${local.team}@example.com"
}
locals { team = lower("DATA") }
resource "google_project_iam_member" "m" {
  project = "p"
  role    = "roles/viewer"
  member  = local.member
}
"""
        },
    )
    assert load(tmp_path)["google_project_iam_member.m"].get("member") == "group:data@example.com"


def test_for_each_over_a_set_and_a_map_and_count(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
resource "google_project_iam_member" "set" {
  for_each = toset(["a", "b"])
  project  = "p"
  role     = "roles/viewer"
  member   = "user:${each.key}@example.com"
}
resource "google_project_iam_member" "map" {
  for_each = { x = "roles/a", y = "roles/b" }
  project  = "p"
  role     = each.value
  member   = "user:${each.key}@example.com"
}
resource "google_project_iam_member" "count" {
  count   = 2
  project = "p"
  role    = "roles/viewer"
  member  = "user:n${count.index}@example.com"
}
"""
        },
    )
    resources = load(tmp_path)
    assert resources['google_project_iam_member.set["a"]'].get("member") == "user:a@example.com"
    assert resources['google_project_iam_member.map["y"]'].get("role") == "roles/b"
    assert resources["google_project_iam_member.count[1]"].get("member") == "user:n1@example.com"
    assert len(resources) == 6


def test_unknown_for_each_keeps_one_unresolved_instance(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
variable "users" {}
resource "google_project_iam_member" "m" {
  for_each = var.users
  project  = "p"
  role     = "roles/notebooks.admin"
  member   = "user:${each.value}"
}
"""
        },
    )
    resources = load(tmp_path)
    assert list(resources) == ["google_project_iam_member.m[*]"]
    assert isinstance(resources["google_project_iam_member.m[*]"].get("member"), Unresolved)


def test_dynamic_blocks_expand_and_unknown_ones_stay_unknown(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
variable "accounts" {}
resource "google_workbench_instance" "known" {
  name     = "a"
  location = "us-central1-a"
  gce_setup {
    dynamic "service_accounts" {
      for_each = ["sa@p.iam.gserviceaccount.com"]
      iterator = acct
      content { email = acct.value }
    }
  }
}
resource "google_workbench_instance" "unknown" {
  name     = "b"
  location = "us-central1-a"
  gce_setup {
    dynamic "service_accounts" {
      for_each = var.accounts
      content { email = service_accounts.value }
    }
  }
}
"""
        },
    )
    resources = load(tmp_path)
    known = resources["google_workbench_instance.known"].block("gce_setup")
    assert known == {"service_accounts": [{"email": "sa@p.iam.gserviceaccount.com"}]}
    unknown = resources["google_workbench_instance.unknown"].block("gce_setup")
    assert isinstance(unknown["service_accounts"], Unresolved)


def test_service_account_computed_attributes_follow_references(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
provider "google" { project = "acme" }
resource "google_service_account_iam_member" "use" {
  service_account_id = google_service_account.nb.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.nb.member
}
resource "google_service_account" "nb" { account_id = "nb" }
resource "google_project_iam_member" "uid" {
  project = "acme"
  role    = "roles/viewer"
  member  = "serviceAccount:${google_service_account.nb.unique_id}"
}
"""
        },
    )
    resources = load(tmp_path)
    use = resources["google_service_account_iam_member.use"]
    assert use.get("service_account_id") == "projects/acme/serviceAccounts/nb@acme.iam.gserviceaccount.com"
    assert use.get("member") == "serviceAccount:nb@acme.iam.gserviceaccount.com"
    uid = resources["google_project_iam_member.uid"].get("member")
    assert isinstance(uid, Unresolved)
    assert uid.expression == "google_service_account.nb.unique_id"
    assert uid.shape == "serviceAccount:{google_service_account.nb.unique_id}"
    assert uid.declared_by == "google_service_account.nb"
    assert use.provider_project == "acme"


def test_local_modules_with_inputs_outputs_and_count(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
module "team" {
  source  = "./modules/team"
  count   = 2
  project = "acme"
  name    = "t${count.index}"
}
resource "google_project_iam_member" "out" {
  project = "acme"
  role    = "roles/viewer"
  member  = module.team[1].member
}
""",
            "modules/team/main.tf": """
variable "project" {}
variable "name" {}
resource "google_service_account" "sa" {
  project    = var.project
  account_id = var.name
}
output "member" { value = google_service_account.sa.member }
""",
        },
    )
    resources = load(tmp_path)
    assert resources["google_project_iam_member.out"].get("member") == "serviceAccount:t1@acme.iam.gserviceaccount.com"
    assert resources["module.team[0].google_service_account.sa"].get("email") == "t0@acme.iam.gserviceaccount.com"
    assert find_root_modules(tmp_path) == [tmp_path]


def test_remote_module_is_an_error_not_a_silent_pass(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'module "iam" {\n  source = "terraform-google-modules/iam/google"\n}\n'})
    _, errors = load_module(tmp_path)
    assert len(errors) == 1
    assert errors[0].line == 1 and "not audited" in errors[0].message


def test_data_google_iam_policy_renders_policy_data(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
data "google_iam_policy" "p" {
  binding {
    role    = "roles/viewer"
    members = ["user:b@example.com", "user:a@example.com"]
    condition {
      title      = "t"
      expression = "request.time < timestamp(\\"2030-01-01T00:00:00Z\\")"
    }
  }
}
resource "google_project_iam_policy" "policy" {
  project     = "acme"
  policy_data = data.google_iam_policy.p.policy_data
}
"""
        },
    )
    import json

    policy = json.loads(load(tmp_path)["google_project_iam_policy.policy"].get("policy_data"))
    assert policy["bindings"] == [
        {
            "role": "roles/viewer",
            "members": ["user:a@example.com", "user:b@example.com"],
            "condition": {"title": "t", "expression": 'request.time < timestamp("2030-01-01T00:00:00Z")'},
        }
    ]


def test_malformed_file_gives_path_line_col_and_the_rest_is_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "bad.tf": 'resource "google_project_iam_member" "x" {\n  role = \n}\n',
            "good.tf": 'resource "google_project_iam_member" "ok" {\n  project = "p"\n  role = "roles/viewer"\n'
            '  member = "user:a@example.com"\n}\n',
        },
    )
    instances, errors = load_module(tmp_path)
    by_address = {i.address: i for i in instances}
    assert sorted(by_address) == ["google_project_iam_member.ok", "google_project_iam_member.x"]
    # The broken block is still read: its broken attribute is unknown, never dropped or assumed safe.
    assert isinstance(by_address["google_project_iam_member.x"].attributes["role"], Unresolved)
    assert by_address["google_project_iam_member.ok"].attributes["role"] == "roles/viewer"
    assert len(errors) == 1
    assert str(errors[0]).startswith(f"{tmp_path / 'bad.tf'}:2:3: invalid HCL")


def test_duplicate_resource_is_reported(tmp_path: Path) -> None:
    block = 'resource "google_service_account" "a" {\n  account_id = "a"\n}\n'
    write(tmp_path, {"a.tf": block, "b.tf": block})
    _, errors = load_module(tmp_path)
    assert [e.message for e in errors] == ["duplicate resource block google_service_account.a"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('concat(["a"], ["b", "c"])', ["a", "b", "c"]),
        ('format("%s-%d", "x", 3)', "x-3"),
        ('lookup({a = 1}, "b", 2)', 2),
        ("merge({a = 1}, {b = 2}, {a = 3})", {"a": 3, "b": 2}),
        ('flatten([["a"], [["b"]], "c"])', ["a", "b", "c"]),
        ('distinct(["a", "b", "a"])', ["a", "b"]),
        ('coalesce("", "x")', "x"),
        ('try(local_missing, "fallback")', "fallback"),
        ('join(",", ["a", "b"])', "a,b"),
        ('split(",", "a,b")', ["a", "b"]),
        ('lower("ABC")', "abc"),
        ('replace("a-b-c", "-", "_")', "a_b_c"),
        ('replace("abc123", "/[0-9]+/", "")', "abc"),
        ("keys({b = 1, a = 2})", ["a", "b"]),
        ('[for s in ["a", "b"] : upper(s) if s != "b"]', ["A"]),
        ('{for k, v in {a = "x", b = "x"} : v => k...}', {"x": ["a", "b"]}),
        ('length(setunion(["a"], ["b", "a"]))', 2),
        ('"${1 + 2 * 3}"', 7),  # a lone interpolation keeps its type, as in HCL
        ('true && !false ? "yes" : "no"', "yes"),
        ('jsonencode({b = [1], a = "x"})', '{"a":"x","b":[1]}'),
        ('element(["a", "b"], 3)', "b"),
        ('contains(["a"], "a")', True),
        ('"esc $${literal}"', "esc ${literal}"),
    ],
)
def test_functions_and_operators(expression: str, expected: object) -> None:
    assert evaluate(expression) == expected


def test_unknown_flows_through_functions_and_templates() -> None:
    unknown = Unresolved("var.x")
    upper = evaluate('upper("user:${x}")', x=unknown)
    assert isinstance(upper, Unresolved) and upper.expression == "var.x"
    assert evaluate('concat(["a"], [x])', x=unknown) == ["a", unknown]
    either = evaluate('x == "a" ? "b" : "c"', x=unknown)
    assert isinstance(either, Unresolved) and either.expression == "var.x" and either.shape is None
    assert evaluate('x ? "same" : "same"', x=unknown) == "same"


def test_lookup_of_an_unknown_key_with_a_known_default_keeps_the_shared_shape() -> None:
    accounts = '{ a = "serviceAccount:a@p.iam.gserviceaccount.com", b = "serviceAccount:b@p.iam.gserviceaccount.com" }'
    value = evaluate(f'lookup({accounts}, x, "serviceAccount:c@p.iam.gserviceaccount.com")', x=Unresolved("var.k"))
    assert isinstance(value, Unresolved) and value.expression == "var.k"
    assert value.shape is not None
    assert value.shape.startswith("serviceAccount:{") and value.shape.endswith("}@p.iam.gserviceaccount.com")


def test_lookup_of_an_unknown_key_in_a_map_holding_unknowns_or_lists_is_unknown() -> None:
    key = Unresolved("var.k")
    value = evaluate('lookup({ a = y, b = "roles/viewer" }, x, "roles/owner")', x=key, y=Unresolved("var.y"))
    assert isinstance(value, Unresolved) and value.expression in ("var.k", "var.y")  # was: an internal error
    listed = evaluate('lookup({ a = ["roles/viewer"] }, x, "roles/owner")', x=key)
    assert isinstance(listed, Unresolved) and listed.expression == "var.k"


def test_an_unknown_condition_keeps_what_both_branches_share() -> None:
    unknown = Unresolved("var.admin")
    either = evaluate('x ? "user:ana@example.com" : "user:bob@example.com"', x=unknown)
    assert either.shape == "user:{var.admin ? user:ana@example.com : user:bob@example.com}@example.com"
    holes = evaluate(
        'x ? "${y}@p.iam.gserviceaccount.com" : "${z}@p.iam.gserviceaccount.com"',
        x=unknown,
        y=Unresolved("var.y"),
        z=Unresolved("var.z"),
    )
    assert holes.shape.startswith("{") and holes.shape.endswith("}@p.iam.gserviceaccount.com")
    assert holes.shape.count("{") == 1


def test_unknowns_keep_their_shape_in_templates_format_and_join() -> None:
    project = Unresolved("var.project_id")
    template = evaluate('"wb-runtime@${x}.iam.gserviceaccount.com"', x=project)
    assert template.shape == "wb-runtime@{var.project_id}.iam.gserviceaccount.com"
    assert template.expression == "var.project_id"
    formatted = evaluate('format("%s@%s.iam.gserviceaccount.com", "wb", x)', x=project)
    assert formatted.shape == "wb@{var.project_id}.iam.gserviceaccount.com"
    joined = evaluate('join("/", ["projects", x, "roles", "r"])', x=project)
    assert joined.shape == "projects/{var.project_id}/roles/r"
    assert evaluate('"${x}"', x=project) is project


def test_the_same_template_over_different_unknowns_is_two_values() -> None:
    first = evaluate('"sa-${x}"', x=Unresolved("module.a.var.name"))
    second = evaluate('"sa-${x}"', x=Unresolved("module.b.var.name"))
    assert first != second and first == evaluate('"sa-${x}"', x=Unresolved("module.a.var.name"))


def test_unknowns_with_the_same_origin_are_equal() -> None:
    assert Unresolved("var.p (shown)", origin="var.p") == Unresolved("var.p")
    assert Unresolved("var.p") != Unresolved("var.q")


class _BrokenMap(dict):  # type: ignore[type-arg]
    """A value whose methods fail as a bug of ours would (the evaluator's own lazy maps are dict subclasses)."""

    def keys(self):  # type: ignore[no-untyped-def]
        raise AttributeError("bug in our code")


def test_our_own_bugs_inside_functions_propagate_through_try() -> None:
    with pytest.raises(AttributeError):
        evaluate('try(keys(x), ["fallback"])', x=_BrokenMap())
    with pytest.raises(AttributeError):
        evaluate("can(keys(x))", x=_BrokenMap())
    with pytest.raises(TypeError):
        evaluate('try(jsonencode(x), "fallback")', x=object())


def test_wrong_argument_counts_are_configuration_errors_that_try_catches() -> None:
    assert evaluate('try(upper("a", "b"), "fallback")') == "fallback"


def test_unsupported_function_is_unresolved_with_its_name() -> None:
    value = evaluate('timestamp("x")')
    assert isinstance(value, Unresolved) and "timestamp" in value.expression


def test_definite_errors_are_unresolved_with_the_reason() -> None:
    value = evaluate('lookup({a = 1}, "b")')
    assert isinstance(value, Unresolved) and "no key" in value.expression


def test_heredoc_with_interpolation() -> None:
    parsed = parse_text("x = <<-EOT\n  hello ${name}\n  EOT\n", "h.tf")
    assert Evaluator(lambda n: {"name": "w"}[n]).evaluate(parsed.body.attributes["x"].expression) == "hello w\n"


def test_module_calls_pass_aliased_providers(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
provider "google" { project = "acme" }
provider "google" {
  alias   = "shared"
  project = "acme-shared"
}
module "on_shared" {
  source    = "./m"
  providers = { google = google.shared }
}
module "on_default" {
  source = "./m"
}
""",
            "m/main.tf": 'resource "google_service_account" "a" { account_id = "a" }\n',
        },
    )
    resources = load(tmp_path)
    assert (
        resources["module.on_shared.google_service_account.a"].get("email") == "a@acme-shared.iam.gserviceaccount.com"
    )
    assert resources["module.on_default.google_service_account.a"].get("email") == "a@acme.iam.gserviceaccount.com"


def test_client_config_and_project_data_sources_share_the_provider_project(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
variable "project_id" {}
provider "google" { project = var.project_id }
data "google_client_config" "current" {}
data "google_project" "this" {}
resource "google_project_iam_member" "a" {
  project = data.google_client_config.current.project
  role    = "roles/viewer"
  member  = "user:a@example.com"
}
resource "google_project_iam_member" "b" {
  project = data.google_project.this.project_id
  role    = "roles/viewer"
  member  = "user:b@example.com"
}
"""
        },
    )
    resources = load(tmp_path)
    first = resources["google_project_iam_member.a"].get("project")
    second = resources["google_project_iam_member.b"].get("project")
    assert first == second == Unresolved("var.project_id")


def test_a_symlinked_configuration_directory_is_scanned_once(tmp_path: Path) -> None:
    """`envs/prod -> ../shared/prod`: a directory reached through a symbolic link is configuration like any other
    (it was silently skipped: a clean result for a tree that was never read); a link back up cannot loop, and a
    directory reached twice is one root."""
    write(tmp_path / "shared" / "prod", {"main.tf": "locals {\n  a = 1\n}\n"})
    write(tmp_path / "envs" / "dev", {"main.tf": "locals {\n  a = 1\n}\n"})
    (tmp_path / "envs" / "prod").symlink_to(tmp_path / "shared" / "prod", target_is_directory=True)
    (tmp_path / "envs" / "dev" / "loop").symlink_to(tmp_path / "envs", target_is_directory=True)
    assert find_root_modules(tmp_path / "envs") == [tmp_path / "envs" / "dev", tmp_path / "envs" / "prod"]
    assert len(find_root_modules(tmp_path)) == 2


def test_a_malformed_modules_manifest_leaves_the_module_unread_and_says_so(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": 'module "m" {\n  source = "git::https://example.com/m.git"\n}\n'
            'module "n" {\n  source = "git::https://example.com/n.git"\n}\n',
            ".terraform/modules/modules.json": '{"Modules": [{"Key": "m"}, {"Key": "m", "Dir": 5}, '
            '{"Key": "n", "Dir": ".terraform/modules/n"}]}',
            ".terraform/modules/n/main.tf": 'resource "google_project_iam_member" "o" {\n  project = "p"\n'
            '  role = "roles/owner"\n  member = "user:a@b.c"\n}\n',
        },
    )
    instances, errors = load_module(tmp_path)
    assert [i.address for i in instances] == ["module.n.google_project_iam_member.o"]
    assert [e.message.split(":")[0] for e in errors] == ["module 'm'"]
    assert "not a local directory nor installed by `terraform init`" in errors[0].message


def test_a_count_that_is_not_a_whole_number_up_to_10000_keeps_one_unresolved_instance(tmp_path: Path) -> None:
    # Terraform refuses a negative or fractional count; expanding none (or 1) would hide the grant, and expanding
    # 10**9 would never finish: each is one instance whose index is unknown, so the grant is still judged.
    counts = {"negative": "-1", "fraction": "1.5", "huge": "1000000000", "infinite": "1" + "0" * 400 + ".5"}
    write(
        tmp_path,
        {
            "main.tf": "".join(
                f'resource "google_project_iam_member" "{name}" {{\n  count = {count}\n  project = "p"\n'
                f'  role = "roles/owner"\n  member = "user:n${{count.index}}@example.com"\n}}\n'
                for name, count in counts.items()
            )
        },
    )
    resources = load(tmp_path)
    assert sorted(resources) == sorted(f"google_project_iam_member.{name}[*]" for name in counts)
    for name in counts:
        resource = resources[f"google_project_iam_member.{name}[*]"]
        assert resource.get("role") == "roles/owner"
        member = resource.get("member")
        assert isinstance(member, Unresolved) and "is not a whole number from 0 to 10,000" in str(member), member
