"""Differential test: the tree-sitter front end against python-hcl2 (the test oracle) on every `.tf` of the corpus.

The comparison, per file:
- Both read the file, or both refuse it (a syntax error on our side, an exception on python-hcl2's).
- Same structure: at every level the same attribute names, and per block type the same blocks in the same order
  with the same labels (python-hcl2's quoted labels and keys unquoted).
- Same literal values: an attribute (or tuple item, or object value) that is a literal on one side is the same literal
  on the other — numbers, booleans, null, and strings (python-hcl2 keeps a string's source text: its quotes and escapes
  are decoded here as JSON, plus `$${` and `%%{`; heredocs are decoded from their markers, `<<-` dedented). A
  negated number literal counts as a literal. Anything else (references, calls, templates with interpolations or
  directives, operators) must be a non-literal on both sides: its value is the evaluator's business, tested elsewhere.
Where python-hcl2 is the one that is wrong, the file or value is listed in `ORACLE_WRONG` with the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.terraform.syntax import Block, Node, ParsedFile, parse_text

hcl2 = pytest.importorskip("hcl2")


class _Expression:
    """Stands for any non-literal expression: equal to every other one."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Expression)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "<expr>"


EXPR = _Expression()

ORACLE_WRONG: dict[str, str] = {}
"""Corpus files (relative paths) where python-hcl2's reading is wrong and ours is right, with the reason. None in
the corpus today (159 files read by both, 88 refused by both). Outside it, python-hcl2 8.1 reads an exponent number
(`x = 1e3`) as an expression `${1e3}` where HCL has the number 1000, reports comments inside a tuple as an extra
attribute `__inline_comments__` (skipped here with every `__...__` key), and accepts escapes HCL rejects (`"a\\m"`,
`"\\0"`). Where tree-sitter's grammar is laxer than HCL (newlines inside a block header or a quoted string, `::` in
an attribute name) the reader reports a syntax error itself (tests/terraform/test_syntax.py)."""


# ours --------------------------------------------------------------------------------------------


def ours_expression(node: Node) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "unop" and node[1] == "-" and node[2][0] == "lit" and isinstance(node[2][1], int | float):
        return -node[2][1]
    if kind == "tuple":
        return [ours_expression(item) for item in node[1]]
    if kind == "object":
        out = {}
        for key, value in node[1]:
            if key[0] != "lit":
                return EXPR
            out[str(key[1])] = ours_expression(value)
        return out
    return EXPR


def ours_body(block: Block) -> dict[str, Any]:
    out: dict[str, Any] = {name: ours_expression(a.expression) for name, a in block.attributes.items()}
    for child in block.blocks:
        out.setdefault(("block", child.type), []).append((child.labels, ours_body(child)))
    return out


# python-hcl2 -------------------------------------------------------------------------------------

_HEREDOC = re.compile(r'^"<<(-?)([A-Za-z_][\w-]*)\n(.*?)\n?[ \t]*\2"$', re.DOTALL)


def _decode_string(text: str) -> Any:
    heredoc = _HEREDOC.match(text)
    if heredoc:
        trim, _, content = heredoc.groups()
        if "${" in content.replace("$${", "") or "%{" in content.replace("%%{", ""):
            return EXPR
        lines = content.split("\n")
        if trim:
            indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
            cut = min(indents, default=0)
            lines = [line[min(cut, len(line) - len(line.lstrip(" \t"))) :] for line in lines]
        body = "\n".join(lines) + "\n" if content else ""
        return body.replace("$${", "${").replace("%%{", "%{")
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return EXPR
    inner = text[1:-1]
    if "${" in inner.replace("$${", "") or "%{" in inner.replace("%%{", ""):
        return EXPR
    try:
        decoded = json.loads(text, strict=False)
    except ValueError:
        return EXPR
    return decoded.replace("$${", "${").replace("%%{", "%{")


def _unquote(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def theirs_expression(value: Any) -> Any:
    if isinstance(value, str):
        return _decode_string(value)
    if isinstance(value, list):
        return [theirs_expression(item) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not re.fullmatch(r'[A-Za-z_][\w-]*|"[^"]*"', key):
                return EXPR
            out[_unquote(key)] = theirs_expression(item)
        return out
    return value


def _is_blocks(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and _block_like(v) for v in value)


def _block_like(value: dict[str, Any]) -> bool:
    if value.get("__is_block__"):
        return True
    return len(value) == 1 and isinstance(next(iter(value.values())), dict) and _block_like(next(iter(value.values())))


def _labelled(value: dict[str, Any], labels: tuple[str, ...] = ()) -> tuple[tuple[str, ...], dict[str, Any]]:
    if value.get("__is_block__"):
        return labels, value
    (label, inner), *_ = value.items()
    return _labelled(inner, (*labels, _unquote(label)))


def theirs_body(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name.startswith("__") and name.endswith("__"):
            continue
        if _is_blocks(value):
            for item in value:
                labels, inner = _labelled(item)
                out.setdefault(("block", name), []).append((labels, theirs_body(inner)))
        else:
            out[name] = theirs_expression(value)
    return out


# the test ----------------------------------------------------------------------------------------


def _differences(ours: Any, theirs: Any, where: str) -> list[str]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs), key=str):
            if key not in ours or key not in theirs:
                found.append(f"{where}/{key}: only in {'ours' if key in ours else 'python-hcl2'}")
            else:
                found += _differences(ours[key], theirs[key], f"{where}/{key}")
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [
            d for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) for d in _differences(a, b, f"{where}[{i}]")
        ]
    if isinstance(ours, tuple) and isinstance(theirs, tuple) and len(ours) == len(theirs):
        return [
            d for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) for d in _differences(a, b, f"{where}.{i}")
        ]
    if type(ours) is not type(theirs) and not (isinstance(ours, int | float) and isinstance(theirs, int | float)):
        return [f"{where}: ours {ours!r} != python-hcl2 {theirs!r}"]
    return [] if ours == theirs else [f"{where}: ours {ours!r} != python-hcl2 {theirs!r}"]


def compare_file(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    ours = parse_text(text, str(path))
    try:
        theirs: dict[str, Any] | None = hcl2.loads(text)
    except Exception:  # python-hcl2 raises Lark's several exception types
        theirs = None
    ours_ok = isinstance(ours, ParsedFile) and not ours.errors
    if theirs is None or not ours_ok:
        return [] if (theirs is None) == (not ours_ok) else [f"read by {'ours' if ours_ok else 'python-hcl2'} only"]
    assert isinstance(ours, ParsedFile)
    return _differences(ours_body(ours.body), theirs_body(theirs), "")


def test_tree_sitter_front_end_agrees_with_python_hcl2_on_the_corpus(shared: Path) -> None:
    corpus = shared / "corpus"
    files = sorted(corpus.rglob("*.tf"))
    assert len(files) > 150
    disagreements = {}
    for path in files:
        relative = path.relative_to(corpus).as_posix()
        found = compare_file(path)
        if found and relative not in ORACLE_WRONG:
            disagreements[relative] = found[:5]
    assert disagreements == {}


def test_comparison_sees_a_changed_literal(tmp_path: Path) -> None:
    """The comparison itself can fail: a literal read differently is a difference."""
    source = tmp_path / "a.tf"
    source.write_text('resource "a" "b" {\n  x = "one"\n  n { y = 2 }\n}\n')
    assert compare_file(source) == []
    parsed = parse_text(source.read_text(), str(source))
    assert isinstance(parsed, ParsedFile)
    theirs = theirs_body(hcl2.loads(source.read_text().replace('"one"', '"two"')))
    assert _differences(ours_body(parsed.body), theirs, "") != []
