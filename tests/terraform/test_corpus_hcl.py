"""Every `.tf` in the shared corpus loads without a traceback; the broken ones give a clean `path:line:col`."""

from __future__ import annotations

from pathlib import Path

from auditor.terraform.hcl import load_module

# Upstream files that hold Go text/template or acceptance-test placeholders: where they are not HCL they must
# fail cleanly, with one error each.
RAW_DIRECTORIES = ("terraform-validator/templates", "terraform-provider-google/acctest-configs/")
KNOWN_BROKEN = {"docs-examples/bigquery_connection_kms/main.tf"}


def test_every_corpus_file_loads_or_fails_cleanly(shared: Path) -> None:
    corpus = shared / "corpus"
    files = sorted(corpus.rglob("*.tf"))
    assert len(files) > 150
    loaded = 0
    for path in files:
        relative = path.relative_to(corpus).as_posix()
        instances, errors = load_module(path.parent, files=[path])
        raw = relative.startswith(RAW_DIRECTORIES)
        if relative in KNOWN_BROKEN or (raw and errors):
            assert len(errors) == 1, relative
            error = errors[0]
            assert error.path == str(path) and error.line and error.column, error
            assert str(error).startswith(f"{path}:{error.line}:{error.column}: invalid HCL")
        else:
            assert errors == [], relative
            loaded += len(instances)
    assert loaded > 250


def test_known_broken_file_points_at_the_template_placeholder(shared: Path) -> None:
    path = shared / "corpus/docs-examples/bigquery_connection_kms/main.tf"
    _, errors = load_module(path.parent, files=[path])
    line = path.read_text().splitlines()[errors[0].line - 1]
    assert "%{random_suffix}" in line
