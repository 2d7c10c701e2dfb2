"""Property: whatever text a .tf file holds, loading it gives resources or clean `path:line:col` errors, never a
traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.model import InputError
from auditor.terraform.hcl import load_module
from auditor.terraform.semantics import build_intent

SEED = """\
variable "who" { default = "user:a@example.com" }
locals { roles = toset(["roles/viewer", "roles/notebooks.admin"]) }
resource "google_project_iam_member" "m" {
  for_each = local.roles
  project  = "p"
  role     = each.value
  member   = var.who
  condition {
    title      = "t"
    expression = "request.time < timestamp(\\"2030-01-01T00:00:00Z\\")"
  }
}
resource "google_workbench_instance" "w" {
  name     = "w-${length(local.roles)}"
  location = "us-central1-a"
  gce_setup {
    dynamic "service_accounts" {
      for_each = [for r in local.roles : r if r != ""]
      content { email = "${service_accounts.key}@p.iam.gserviceaccount.com" }
    }
    metadata = { notebook-disable-root = "true" }
  }
}
"""

TOKENS = st.sampled_from(
    [
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        '"',
        "${",
        "%{",
        "=",
        "\n",
        "#",
        "//",
        "/*",
        "*/",
        ",",
        ".",
        "[*]",
        "...",
        "?",
        ":",
        "<<EOT\n",
        "EOT\n",
        "for",
        "in",
        "if",
        "each.key",
        "count.index",
        "var.",
        "null",
        "-1",
        "1e9",
        "\\",
        "\t",
    ]
)


@st.composite
def mangled(draw: st.DrawFn) -> str:
    text = SEED
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:position] + draw(TOKENS) + text[position:]
        else:
            end = min(len(text), position + draw(st.integers(1, 20)))
            text = text[:position] + text[end:]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(mangled(), st.text(max_size=300)))
def test_mangled_hcl_gives_only_clean_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "main.tf"
    path.write_text(text, encoding="utf-8")
    resources, errors = load_module(tmp_path, files=[path])
    intent = build_intent(resources, errors)
    for error in intent.errors:
        assert isinstance(error, InputError)
        assert str(error).startswith(str(tmp_path))
    syntax_errors = [e for e in errors if e.message.startswith("invalid HCL")]
    for error in syntax_errors:
        assert error.line is not None and error.line >= 1
        assert error.column is not None and error.column >= 1
