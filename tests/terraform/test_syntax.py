"""The tree-sitter front end: expression shapes, template directives, syntax errors that keep the rest, the cache."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest

from auditor.model import InputError, Unresolved
from auditor.terraform import syntax
from auditor.terraform.expressions import Evaluator
from auditor.terraform.syntax import ParsedFile, parse_files, parse_text


def parsed(text: str) -> ParsedFile:
    result = parse_text(text, "t.tf")
    assert isinstance(result, ParsedFile), result
    return result


def value(text: str, **names: object) -> object:
    result = parsed(f"x = {text}\n")
    assert result.errors == ()
    return Evaluator(lambda name: names[name]).evaluate(result.body.attributes["x"].expression)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3 - 4 - 1", 2),
        ("(1 + 2) * 3", 9),
        ("!true || 2 >= 2 && 1 != 1", False),
        ("-a.b[0]", -5),
        ("[for k, v in {p = 1, q = 2} : k if v > 1]", ["q"]),
        ("{for k, v in {p = 1, q = 1} : v => k...}", {"1": ["p", "q"]}),
        ("[{a = [1, 2]}][*].a[1]", [2]),
        ("a.b.0", 5),
        ('{ k = 1, "s" = 2, (n) = 3 }', {"k": 1, "s": 2, "w": 3}),
        ('"\\u00e9\\"\\\\ $${x} %%{y}"', 'é"\\ ${x} %{y}'),
        ("1.5e1", 15.0),
        ('concat([["a"], ["b"]]...)', ["a", "b"]),
        ('"${n}"', "w"),
        ("true ? n : 1 # comment", "w"),
    ],
)
def test_expression_forms(text: str, expected: object) -> None:
    assert value(text, a={"b": [5]}, n="w") == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('"%{ if n == "w" }yes%{ else }no%{ endif }"', "yes"),
        ('"%{ if n != "w" }yes%{ endif }!"', "!"),
        ('"%{ for i, v in xs }${i}=${v};%{ endfor }"', "0=a;1=b;"),
        ('"[ %{~ for v in xs ~} ${v} %{~ endfor ~} ]"', "[ab]"),
        ("<<-EOT\n    %{ for v in xs ~}\n    - ${v}\n    %{ endfor ~}\n    end \\n\n  EOT", "- a\n- b\nend \\n\n"),
        ("<<EOT\n  keep ${n}\nEOT", "  keep w\n"),
    ],
)
def test_template_directives_are_evaluated(template: str, expected: str) -> None:
    assert value(template, n="w", xs=["a", "b"]) == expected


def test_template_directive_over_an_unknown_is_unknown_and_keeps_its_origin() -> None:
    result = value('"a-%{ for v in xs }${v}%{ endfor }"', xs=Unresolved("var.xs"))
    assert isinstance(result, Unresolved) and "var.xs" in result.expression


def test_syntax_error_keeps_the_rest_of_the_file_readable() -> None:
    result = parsed(
        'resource "a" "one" {\n  name = "x"\n  role = \n}\n\nresource "a" "two" {\n  name = "y"\n}\n',
    )
    assert len(result.errors) == 1 and str(result.errors[0]).startswith("t.tf:")
    assert result.errors[0].message.startswith("invalid HCL")
    one, two = result.body.blocks  # the second block is not swallowed by the broken first one
    assert one.labels == ("a", "one") and one.attributes["name"].expression == ("lit", "x")
    assert one.attributes["role"].expression[0] == "bad"  # evaluates to unknown, never dropped
    assert two.attributes["name"].expression == ("lit", "y") and two.line == 6


def test_missing_brace_is_reported_with_line_and_column() -> None:
    result = parsed('resource "a" "b" {\n  name = "x"\n')
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.message.startswith("invalid HCL") and error.line and error.column


def test_column_counts_characters_not_bytes() -> None:
    result = parsed('x = "é" ]\n')
    assert [(e.line, e.column) for e in result.errors] == [(1, 9)]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A parse cache of this test's own, and nothing remembered in memory."""
    monkeypatch.delenv("AUDITOR_NO_CACHE", raising=False)
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(syntax, "_MEMORY", {})
    return tmp_path / "cache"


def test_cache_is_plain_data_in_the_user_cache_directory(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "main.tf"
    source.write_text('resource "a" "b" {\n  x = "${var.y}-z"\n}\n')
    first = parse_files([source])[str(source)]
    stored = list((cache_dir / "hcl").rglob("*"))
    files = [p for p in stored if p.is_file()]
    assert len(files) == 1
    assert isinstance(marshal.loads(files[0].read_bytes()), tuple)  # plain tuples, never pickle
    monkeypatch.setattr(syntax, "_MEMORY", {})
    again = parse_files([source])[str(source)]
    assert again == first


def test_corrupt_cache_file_is_parsed_again(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "main.tf"
    source.write_text('x = "y"\n')
    parse_files([source])
    (cached,) = [p for p in cache_dir.rglob("*") if p.is_file()]
    for garbage in (b"", b"\x00garbage", marshal.dumps(("not", "a", "tree")), marshal.dumps([1, 2])):
        cached.write_bytes(garbage)
        monkeypatch.setattr(syntax, "_MEMORY", {})
        result = parse_files([source])[str(source)]
        assert isinstance(result, ParsedFile) and result.body.attributes["x"].expression == ("lit", "y")


def test_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    source = tmp_path / "bad.tf"
    source.write_bytes(b'x = "\xff"\n')
    result = parse_files([source])[str(source)]
    assert isinstance(result, InputError) and "UTF-8" in result.message


def test_static_path_never_imports_lark_or_hcl2(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "main.tf").write_text('resource "google_project_iam_member" "m" {\n  role = "roles/owner"\n}\n')
    code = (
        "import sys\nfrom pathlib import Path\nfrom auditor.terraform.hcl import load_module\n"
        f"load_module(Path({str(tmp_path)!r}))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'hcl2', 'pickle')))\n"
    )
    env = {**os.environ, "AUDITOR_NO_CACHE": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("v\nlocals {\n  a = 1\n}\n", 2, "labels and its opening brace belong on its first line"),
        ('resource "a"\n  "b" {\n  x = 1\n}\n', 2, "labels and its opening brace belong on its first line"),
        ('x = "one\ntwo"\n', 1, "cannot span lines"),
        ('x = "one\n${two}"\n', 1, "cannot span lines"),
    ],
)
def test_newlines_hcl_forbids_are_syntax_errors(text: str, line: int, message: str) -> None:
    """tree-sitter's grammar reads newlines as spaces; HCL does not: these must not pass as clean."""
    result = parsed(text)
    assert [(e.line, message in e.message) for e in result.errors] == [(line, True)]


def test_a_stray_word_does_not_swallow_the_next_block() -> None:
    result = parsed("v\nlocals {\n  a = 1\n}\n")
    assert [(b.type, b.labels) for b in result.body.blocks] == [("locals", ())]


def test_newlines_inside_interpolations_are_fine() -> None:
    assert value('"a${\n  n\n}c"', n="b") == "abc"


def test_attribute_name_with_a_namespace_is_a_syntax_error() -> None:
    result = parsed('resource "a" "b" {\n  m::ember = 1\n}\n')
    assert [(e.line, e.column) for e in result.errors] == [(2, 3)]
