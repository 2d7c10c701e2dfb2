from __future__ import annotations

from pathlib import Path

from auditor.model import InputError
from auditor.terraform.hcl import load_module
from auditor.terraform.json_syntax import parse_json_text
from auditor.terraform.syntax import parse_text


def test_json_builds_the_same_tree_as_hcl() -> None:
    hcl = parse_text(
        'resource "google_project_iam_member" "m" {\n  project = var.p\n  role = "roles/${local.r}"\n'
        '  member = "user:a@b.c"\n  count = 2\n}\n',
        "main.tf",
    )
    json_ = parse_json_text(
        '{"resource": {"google_project_iam_member": {"m": {"project": "${var.p}", "role": "roles/${local.r}", '
        '"member": "user:a@b.c", "count": 2}}}}',
        "main.tf.json",
    )
    assert not isinstance(hcl, InputError) and not isinstance(json_, InputError)
    (h,), (j,) = hcl.body.blocks, json_.body.blocks
    assert (h.type, h.labels) == (j.type, j.labels)
    assert {k: a.expression for k, a in h.attributes.items()} == {k: a.expression for k, a in j.attributes.items()}


def test_invalid_json_has_line_and_column() -> None:
    error = parse_json_text('{\n  "resource": [\n}', "bad.tf.json")
    assert isinstance(error, InputError) and error.line == 3


def test_json_blocks_variables_and_nested_objects_evaluate(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        """{
  "variable": {"who": {"default": "ana@example.com"}},
  "provider": {"google": [{"project": "acme"}, {"alias": "other", "project": "shared"}]},
  "resource": {"google_project_iam_member": {"m": {
      "provider": "google.other",
      "role": "roles/owner",
      "member": "user:${var.who}",
      "condition": {"title": "t", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}
  }}}
}"""
    )
    (tmp_path / "terraform.tfvars.json").write_text('{"who": "bob@example.com"}')
    (resource,), errors = load_module(tmp_path)
    assert errors == []
    assert resource.get("member") == "user:bob@example.com"
    assert resource.provider_project == "shared"
    assert resource.block("condition") == {
        "title": "t",
        "expression": "request.time < timestamp('2030-01-01T00:00:00Z')",
    }


def test_override_replaces_arguments_and_nested_blocks_by_type(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "google_project_iam_binding" "b" {\n  project = "p"\n  role = "roles/viewer"\n'
        '  members = ["user:a@x.com"]\n  condition {\n    title = "old"\n    expression = "true"\n  }\n}\n'
        'locals {\n  keep = "k"\n  swap = "old"\n}\n'
    )
    (tmp_path / "override.tf.json").write_text(
        '{"resource": {"google_project_iam_binding": {"b": {"role": "roles/owner"}}}, "locals": {"swap": "new"}}'
    )
    (tmp_path / "z_override.tf").write_text(
        'resource "google_project_iam_binding" "b" {\n  condition {\n    title = "new"\n'
        '    expression = "false"\n  }\n}\n'
    )
    (resource,), errors = load_module(tmp_path)
    assert errors == []
    assert resource.get("role") == "roles/owner"
    assert resource.get("members") == ["user:a@x.com"]
    assert resource.blocks("condition") == [{"title": "new", "expression": "false"}]


def test_override_without_a_base_block_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("")
    (tmp_path / "main_override.tf").write_text('resource "google_project_iam_member" "ghost" {\n  role = "x"\n}\n')
    _, errors = load_module(tmp_path)
    assert any("no such block to override" in e.message for e in errors)


def test_a_tfvars_json_file_that_is_not_an_object_of_values_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "who" {}\nresource "google_project_iam_member" "m" {\n  project = "p"\n'
        '  role = "roles/owner"\n  member = "user:${var.who}"\n}\n'
    )
    (tmp_path / "deep.auto.tfvars.json").write_text('{"who": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (tmp_path / "list.auto.tfvars.json").write_text('["who", "bob@example.com"]')
    (resource,), errors = load_module(tmp_path)
    assert [(Path(e.path).name, e.message) for e in errors] == [
        ("deep.auto.tfvars.json", "cannot read variables: nested too deeply"),
        ("list.auto.tfvars.json", "cannot read variables: a .tfvars.json file must hold a JSON object of values"),
    ]
    assert resource.get("role") == "roles/owner"  # the configuration itself is still read


def test_label_levels_may_be_arrays_of_objects(tmp_path: Path) -> None:
    # The HCL JSON spec: each labelling level is a JSON object or a JSON array of objects, flattened in order.
    (tmp_path / "main.tf.json").write_text(
        """{"resource": [
  {"google_project_iam_member": {"a": {"project": "p", "role": "roles/owner", "member": "user:a@b.c"}}},
  {"google_project_iam_member": [
     {"b": {"project": "p", "role": "roles/editor", "member": "user:b@b.c"}},
     {"c": [{"project": "p", "role": "roles/viewer", "member": "user:c@b.c"}]}
  ]}
], "variable": [{"v": {"default": "x"}}]}"""
    )
    resources, errors = load_module(tmp_path)
    assert errors == []
    assert {r.address: r.get("role") for r in resources} == {
        "google_project_iam_member.a": "roles/owner",
        "google_project_iam_member.b": "roles/editor",
        "google_project_iam_member.c": "roles/viewer",
    }
    (tmp_path / "main.tf.json").write_text('{"resource": {"google_project_iam_member": [5]}}')
    assert [e.message for e in load_module(tmp_path)[1]] == [
        "resource google_project_iam_member: expected a JSON object keyed by label"
    ]
