"""Terraform's JSON syntax (`*.tf.json`) -> the same syntax tree `syntax.py` builds for HCL.

Terraform reads a `.tf.json` file as the HCL it stands for: top-level keys are block types, `resource` and
`data` nest type then name, `variable`/`module`/`output` nest a name, `provider` a provider name (with a list for
aliases), `locals` holds attributes. Strings are templates (`"${var.project_id}"`), other JSON values literals.
Nested objects become object values; the semantics layer reads an object where HCL has one nested block, so
`gce_setup`, `service_accounts` or `condition` written as JSON objects read the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from auditor.model import InputError
from auditor.terraform.syntax import Attribute, Block, Node, ParsedFile, parse_text

_LABELS = {"resource": 2, "data": 2, "variable": 1, "module": 1, "output": 1, "provider": 1}
"""How many labels each block type nests in JSON (the others have none: `locals`, `terraform`)."""
_LITERAL_ONLY = {"variable": {"default", "type"}}
"""Arguments Terraform reads as plain values, not templates, in JSON."""


def parse_json_text(text: str, path: str) -> ParsedFile | InputError:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return InputError(path, f"invalid JSON: {error.msg}", error.lineno, error.colno)
    except RecursionError:
        return InputError(path, "invalid JSON: nested too deeply")
    if not isinstance(document, dict):
        return InputError(path, "a .tf.json file must hold a JSON object of blocks", 1, 1)
    reader = _Reader(text, path)
    try:
        blocks = tuple(reader.top_level(document))
    except _Invalid as error:
        return InputError(path, str(error), error.line, 1)
    except RecursionError:
        return InputError(path, "configuration nests too deeply")
    return ParsedFile(path, Block("", (), {}, blocks, 0))


class _Invalid(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path

    def line_of(self, *keys: str) -> int:
        """The line of the first `"key":` after the previous keys (JSON parsers give no positions)."""
        position = 0
        for key in keys:
            match = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(self.text, position)
            if match is None:
                break
            position = match.start()
        return self.text.count("\n", 0, position) + 1

    def top_level(self, document: dict[str, Any]) -> Iterator[Block]:
        for block_type, content in document.items():
            if block_type == "//":
                continue
            depth = _LABELS.get(block_type, 0)
            yield from self.labelled(block_type, content, depth, ())

    def labelled(self, block_type: str, content: Any, depth: int, labels: tuple[str, ...]) -> Iterator[Block]:
        if depth == 0:
            for body in content if isinstance(content, list) else [content]:
                if not isinstance(body, dict):
                    raise _Invalid(f"{block_type} {' '.join(labels)}: expected a JSON object", self.line_of(*labels))
                yield self.block(block_type, labels, body)
            return
        if isinstance(content, list) and all(isinstance(item, dict) for item in content):
            for item in content:  # a label level may be an array of objects, read in order (the HCL JSON spec)
                yield from self.labelled(block_type, item, depth, labels)
            return
        if not isinstance(content, dict):
            where = " ".join((block_type, *labels))
            raise _Invalid(f"{where}: expected a JSON object keyed by label", self.line_of(block_type, *labels))
        for label, inner in content.items():
            if label == "//":
                continue
            yield from self.labelled(block_type, inner, depth - 1, (*labels, label))

    def block(self, block_type: str, labels: tuple[str, ...], body: dict[str, Any]) -> Block:
        attributes: dict[str, Attribute] = {}
        nested: list[Block] = []
        line = self.line_of(block_type, *labels)
        literal = _LITERAL_ONLY.get(block_type, set())
        for name, value in body.items():
            if name == "//":
                continue
            if name in ("lifecycle", "provisioner", "connection") and block_type in ("resource", "data"):
                continue  # meta blocks the audit does not read
            if name == "dynamic" and isinstance(value, dict):
                nested.extend(self.dynamic(value, line))
                continue
            node = ("lit", value) if name in literal else self.expression(value)
            attributes[name] = Attribute(name, node, line)
        return Block(block_type, labels, attributes, tuple(nested), line)

    def dynamic(self, value: dict[str, Any], line: int) -> Iterator[Block]:
        for label, body in value.items():
            if not isinstance(body, dict):
                continue
            content = body.get("content")
            inner = () if not isinstance(content, dict) else (self.block("content", (), content),)
            attributes = {k: Attribute(k, self.expression(v), line) for k, v in body.items() if k != "content"}
            yield Block("dynamic", (label,), attributes, inner, line)

    def expression(self, value: Any) -> Node:
        if isinstance(value, str):
            return self.template(value)
        if isinstance(value, list):
            return ("tuple", tuple(self.expression(v) for v in value))
        if isinstance(value, dict):
            return ("object", tuple((self.template(k), self.expression(v)) for k, v in value.items() if k != "//"))
        return ("lit", value)

    def template(self, text: str) -> Node:
        if "${" not in text and "%{" not in text:
            return ("lit", text)
        parsed = parse_text(f"v = {json.dumps(text)}\n", self.path)
        if isinstance(parsed, InputError) or parsed.errors or "v" not in parsed.body.attributes:
            problem = parsed if isinstance(parsed, InputError) else next(iter(parsed.errors), None)
            message = problem.message if problem is not None else "not a template"
            raise _Invalid(f"invalid template {text!r}: {message}", None)
        return parsed.body.attributes["v"].expression
