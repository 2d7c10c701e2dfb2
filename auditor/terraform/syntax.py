"""HCL text -> a compact syntax tree of plain tuples, read from a tree-sitter parse, with a content-hash cache.

tree-sitter (a compiled parser, with the `tree-sitter-hcl` grammar) does the parsing; this module walks its
concrete tree into the small node tuples `expressions.py` evaluates, literals apart from expressions and every
block and attribute with its line. A syntax error (tree-sitter's ERROR and MISSING nodes) becomes an `InputError`
at `path:line:col` carried by the `ParsedFile`, and whatever the tree still holds around it is read: a block whose
body holds a broken attribute keeps its other attributes, and the broken attribute evaluates to an unknown.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from auditor.cache import cache_dir
from auditor.model import InputError

SYNTAX_VERSION = "2"
"""Bump when the node shapes change: it is part of every cache key."""

# Expression nodes are tuples whose first item names the node:
#   ("lit", value)                       ("tmpl", (part, ...))  part: str | node
#   ("var", name)                        ("attr", node, name)   ("index", node, key_node)
#   ("splat", node, (op, ...))           op: ("attr", name) | ("index", key_node)
#   ("call", name, (arg, ...), expand_last)
#   ("tuple", (node, ...))               ("object", ((key_node, value_node), ...))
#   ("binop", op, left, right)           ("unop", op, node)     ("cond", test, then, else)
#   ("for", key_var, value_var, collection, key_node | None, value_node, cond_node | None, grouping)
#   ("tif", test, then_node, else_node)  a template's %{ if }...%{ else }...%{ endif } (branches are templates)
#   ("tfor", key_var, value_var, collection, body_node)   a template's %{ for k, v in xs }...%{ endfor }
#   ("bad", message)                     something that cannot be evaluated (a syntax error inside it)
Node = tuple[Any, ...]


class Attribute(NamedTuple):
    """Named tuples like the expression nodes, not dataclasses: a warm run rebuilds some 10,000 of these from the
    parse cache, and a tuple is built in half the time. Immutable all the same (`_replace` makes a changed copy)."""

    name: str
    expression: Node
    line: int


class Block(NamedTuple):
    type: str
    labels: tuple[str, ...]
    attributes: dict[str, Attribute]
    """Never mutated: a merged or changed block is a new one with a new dict."""
    blocks: tuple[Block, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """One file's syntax tree and its syntax errors."""

    path: str
    body: Block
    """A pseudo-block holding the file's top-level attributes and blocks."""
    errors: tuple[InputError, ...] = ()
    """Syntax errors: what the tree held around them is still in `body`."""


# --------------------------------------------------------------------------------------------------
# tree-sitter tree -> nodes


@functools.cache
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_hcl

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{", re.DOTALL)
_TEMPLATE_ESCAPE_RE = re.compile(r"\$\$\{|%%\{")


def _unescape(text: str) -> str:
    """A quoted string's literal text: backslash escapes, and `$${` / `%%{` for a literal `${` / `%{`."""

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole[0] != "\\":
            return whole[1:]
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, whole)

    return _ESCAPE_RE.sub(replace, text) if ("\\" in text or "{" in text) else text


def _unescape_heredoc(text: str) -> str:
    """Heredocs keep backslashes as they are; only `$${` and `%%{` are escapes."""
    return _TEMPLATE_ESCAPE_RE.sub(lambda m: m.group(0)[1:], text) if "{" in text else text


_BINARY_OPERATORS = frozenset({"==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "&&", "||"})
_WHITESPACE = " \t\r\n"
_STRUCTURAL = frozenset(
    {
        "template_interpolation",
        "template_if_intro",
        "template_else_intro",
        "template_if_end",
        "template_for_start",
        "template_for_end",
    }
)
_NESTING = frozenset({"template_directive", "template_if", "template_for"})


class _Bad(Exception):
    """A shape of tree we cannot read (a syntax error inside it): the expression becomes a `bad` node."""


class _Reader:
    """Walks one file's tree-sitter tree; one method per grammar rule that matters."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.problems: list[tuple[Any, str]] = []
        """What HCL forbids and tree-sitter's grammar lets through (it treats newlines as spaces): node, message."""

    def text(self, node: Any) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # structure ----------------------------------------------------------------------------------

    def body(self, node: Any) -> tuple[dict[str, Attribute], tuple[Block, ...]]:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for child in node.named_children:
            kind = child.type
            if kind == "attribute":
                attribute = self.attribute(child)
                if attribute is not None:
                    attributes[attribute.name] = attribute
            elif kind == "block":
                block = self.block(child)
                if block is not None:
                    blocks.append(block)
            elif kind == "ERROR":
                # What tree-sitter skipped over may still hold whole blocks and attributes: keep those, and an
                # attribute whose value is broken (`role = }`) as one that cannot be known.
                inner_attributes, inner_blocks = self.salvage(child)
                for name, attribute in inner_attributes.items():
                    attributes.setdefault(name, attribute)
                blocks.extend(inner_blocks)
        return attributes, tuple(blocks)

    def salvage(self, node: Any) -> tuple[dict[str, Attribute], tuple[Block, ...]]:
        """The whole attributes and blocks inside an ERROR node, and its broken `name =` as unknowns."""
        attributes, blocks = self.body(node)
        found: dict[str, Attribute] = {}
        children = node.children
        for first, second in zip(children, children[1:], strict=False):
            if first.type == "identifier" and second.type == "=":
                name = self.text(first)
                line = first.start_point[0] + 1
                found[name] = Attribute(name, ("bad", f"{name}: syntax error at line {line}"), line)
        return {**found, **attributes}, blocks

    def attribute(self, node: Any) -> Attribute | None:
        children = [c for c in node.children if c.type != "comment"]
        if not children or children[0].type != "identifier":
            return None
        name = self.text(children[0])
        line = node.start_point[0] + 1
        if "::" in name:  # the grammar's identifiers allow it for provider functions (`provider::google::f`)
            self.problems.append((children[0], f"invalid attribute name {name!r}"))
        expression = next((c for c in children[1:] if c.type == "expression"), None)
        if expression is None or node.has_error:
            return Attribute(name, ("bad", f"{name}: syntax error at line {line}"), line)
        try:
            return Attribute(name, self.expr(expression), line)
        except _Bad as error:
            return Attribute(name, ("bad", f"{name}: {error}"), line)

    def block(self, node: Any) -> Block | None:
        kind = ""
        labels: list[str] = []
        attributes: dict[str, Attribute] = {}
        blocks: tuple[Block, ...] = ()
        opened = False
        first_row = node.start_point[0]
        for child in node.children:
            child_type = child.type
            if (
                not opened
                and child.start_point[0] != first_row
                and child_type in ("identifier", "string_lit", "block_start")
            ):
                self.problems.append((child, "a block's labels and its opening brace belong on its first line"))
            if child_type == "identifier":
                if not kind:
                    kind = self.text(child)
                else:
                    labels.append(self.text(child))
            elif child_type == "string_lit":
                labels.append(self._string_lit(child))
            elif child_type == "block_start":
                opened = True
            elif child_type == "body":
                attributes, blocks = self.body(child)
            elif child_type == "ERROR" and opened:
                inner_attributes, inner_blocks = self.salvage(child)
                attributes = {**inner_attributes, **attributes}
                blocks = (*blocks, *inner_blocks)
            elif child_type == "ERROR":
                return None  # a broken block header: no type or labels to trust
        if not kind or not opened:
            return None
        return Block(kind, tuple(labels), attributes, blocks, node.start_point[0] + 1)

    # expressions --------------------------------------------------------------------------------

    def expr(self, node: Any) -> Node:
        kind = node.type
        if kind == "expression":
            return self.sequence([c for c in node.children if c.type != "comment"])
        method = getattr(self, "x_" + kind, None)
        if method is None:
            raise _Bad(f"unexpected {kind} at line {node.start_point[0] + 1}")
        result: Node = method(node)
        return result

    def sequence(self, children: list[Any]) -> Node:
        """A term and its postfix operations (`.name`, `[key]`, `.*`, `[*]`), or a parenthesised expression."""
        if not children:
            raise _Bad("empty expression")
        if children[0].type == "(":
            close = next((i for i, c in enumerate(children) if c.type == ")"), None)
            if close is None or close < 2:
                raise _Bad("unbalanced parenthesis")
            base = self.expr(children[1])
            rest = children[close + 1 :]
        else:
            base = self.expr(children[0])
            rest = children[1:]
        for operation in rest:
            kind = operation.type
            if kind == "get_attr":
                base = ("attr", base, self._name_of(operation))
            elif kind == "index":
                base = ("index", base, self._index_key(operation))
            elif kind == "splat":
                base = ("splat", base, self._splat_ops(operation))
            elif kind != "comment":
                raise _Bad(f"unexpected {kind} at line {operation.start_point[0] + 1}")
        return base

    def _name_of(self, node: Any) -> str:
        for child in node.children:
            if child.type == "identifier":
                return self.text(child)
        raise _Bad("attribute name expected")

    def _index_key(self, node: Any) -> Node:
        inner = node.named_children[0] if node.named_children else None
        if inner is None:
            raise _Bad("index expected")
        if inner.type == "legacy_index":  # `x.0`
            return ("lit", int(self.text(inner).lstrip(".")))
        expression = next((c for c in inner.named_children if c.type == "expression"), None)
        if expression is None:
            raise _Bad("index expected")
        return self.expr(expression)

    def _splat_ops(self, node: Any) -> tuple[tuple[str, Any], ...]:
        ops: list[tuple[str, Any]] = []
        for splat in node.named_children:
            for op in splat.named_children:
                if op.type == "get_attr":
                    ops.append(("attr", self._name_of(op)))
                elif op.type == "index":
                    ops.append(("index", self._index_key(op)))
        return tuple(ops)

    def x_literal_value(self, node: Any) -> Node:
        inner = node.named_children[0]
        kind = inner.type
        if kind == "string_lit":
            return ("lit", self._string_lit(inner))
        text = self.text(inner)
        if kind == "numeric_lit":
            return ("lit", _number(text))
        if kind == "bool_lit":
            return ("lit", text == "true")
        return ("lit", None)

    def _string_lit(self, node: Any) -> str:
        start = node.children[0].end_byte if node.children else node.start_byte
        end = node.children[-1].start_byte if len(node.children) > 1 else node.end_byte
        raw = self.source[start:end]
        if b"\n" in raw:
            self.problems.append((node, "a quoted string cannot span lines (use \\n or a heredoc)"))
        return _unescape(raw.decode("utf-8", "replace"))

    def x_variable_expr(self, node: Any) -> Node:
        return ("var", self.text(node))

    def x_collection_value(self, node: Any) -> Node:
        return self.expr(node.named_children[0])

    def x_tuple(self, node: Any) -> Node:
        return ("tuple", tuple(self.expr(c) for c in node.named_children if c.type == "expression"))

    def x_object(self, node: Any) -> Node:
        items = []
        for element in node.named_children:
            if element.type != "object_elem":
                continue
            key = element.child_by_field_name("key")
            value = element.child_by_field_name("val")
            if key is None or value is None:
                raise _Bad("object element expected")
            items.append((self._object_key(key), self.expr(value)))
        return ("object", tuple(items))

    def _object_key(self, node: Any) -> Node:
        children = [c for c in node.children if c.type != "comment"]
        if len(children) == 1:
            only = children[0]
            if only.type == "variable_expr":
                return ("lit", self.text(only))  # a bare name is the key itself; `(name)` is evaluated
            if only.type == "literal_value" and only.named_children[0].type in ("bool_lit", "null_lit"):
                return ("lit", self.text(only))
        return self.expr(node)

    def x_function_call(self, node: Any) -> Node:
        name = ""
        args: list[Node] = []
        expand = False
        for child in node.children:
            if child.type == "identifier":
                name = self.text(child)
            elif child.type == "function_arguments":
                for argument in child.children:
                    if argument.type == "expression":
                        args.append(self.expr(argument))
                    elif argument.type == "ellipsis":
                        expand = True
        return ("call", name, tuple(args), expand)

    def x_operation(self, node: Any) -> Node:
        return self.expr(node.named_children[0])

    def x_binary_operation(self, node: Any) -> Node:
        children = [c for c in node.children if c.type != "comment"]
        depth = 0
        for position, child in enumerate(children):
            kind = child.type
            if kind == "(":
                depth += 1
            elif kind == ")":
                depth -= 1
            elif depth == 0 and position > 0 and not child.is_named and kind in _BINARY_OPERATORS:
                return ("binop", kind, self.sequence(children[:position]), self.sequence(children[position + 1 :]))
        raise _Bad("operator expected")

    def x_unary_operation(self, node: Any) -> Node:
        children = [c for c in node.children if c.type != "comment"]
        return ("unop", children[0].type, self.sequence(children[1:]))

    def x_conditional(self, node: Any) -> Node:
        parts = [self.expr(c) for c in node.named_children if c.type == "expression"]
        if len(parts) != 3:
            raise _Bad("incomplete conditional")
        return ("cond", parts[0], parts[1], parts[2])

    def x_for_expr(self, node: Any) -> Node:
        return self.expr(node.named_children[0])

    def _for_intro(self, node: Any) -> tuple[str | None, str, Node]:
        names = [self.text(c) for c in node.named_children if c.type == "identifier"]
        collection = next((c for c in node.named_children if c.type == "expression"), None)
        if collection is None or not names:
            raise _Bad("incomplete for expression")
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        return key_var, value_var, self.expr(collection)

    def _for(self, node: Any, *, is_object: bool) -> Node:
        intro = next((c for c in node.named_children if c.type == "for_intro"), None)
        if intro is None:
            raise _Bad("incomplete for expression")
        key_var, value_var, collection = self._for_intro(intro)
        values = [self.expr(c) for c in node.named_children if c.type == "expression"]
        condition = next((c for c in node.named_children if c.type == "for_cond"), None)
        cond = None
        if condition is not None:
            cond = self.expr(next(c for c in condition.named_children if c.type == "expression"))
        grouping = any(c.type == "ellipsis" for c in node.named_children)
        if is_object:
            if len(values) != 2:
                raise _Bad("incomplete for expression")
            return ("for", key_var, value_var, collection, values[0], values[1], cond, grouping)
        if len(values) != 1:
            raise _Bad("incomplete for expression")
        return ("for", key_var, value_var, collection, None, values[0], cond, False)

    def x_for_tuple_expr(self, node: Any) -> Node:
        return self._for(node, is_object=False)

    def x_for_object_expr(self, node: Any) -> Node:
        return self._for(node, is_object=True)

    # templates ----------------------------------------------------------------------------------

    def x_template_expr(self, node: Any) -> Node:
        return self.expr(node.named_children[0])

    def x_quoted_template(self, node: Any) -> Node:
        children = node.children
        start = children[0].end_byte
        end = children[-1].start_byte if children[-1].type == "quoted_template_end" else node.end_byte
        literal_gaps = [(a.end_byte, b.start_byte) for a, b in zip(children, children[1:], strict=False)]
        if any(b"\n" in self.source[a:b] for a, b in literal_gaps):
            self.problems.append((node, "a quoted string cannot span lines (use \\n or a heredoc)"))
        return _template(self._template_items(node, start, end, _unescape, trim=None))

    def x_heredoc_template(self, node: Any) -> Node:
        identifiers = [c for c in node.children if c.type == "heredoc_identifier"]
        if len(identifiers) != 2:
            raise _Bad("unterminated heredoc")
        opening, closing = identifiers
        start = self.source.find(b"\n", opening.end_byte) + 1
        end = self.source.rfind(b"\n", 0, closing.start_byte) + 1
        if start <= 0 or end < start:
            return ("lit", "")
        trim = None
        if any(c.type == "heredoc_start" and self.text(c) == "<<-" for c in node.children):
            lines = self.source[start:end].decode("utf-8", "replace").split("\n")
            indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
            trim = min(indents, default=0)
        return _template(self._template_items(node, start, end, _unescape_heredoc, trim=trim))

    def _template_items(self, node: Any, start: int, end: int, unescape: Any, *, trim: int | None) -> list[Any]:
        """The template between `start` and `end` as one flat list of literal text and markers (interpolations,
        directive openings and closings), strip markers (`~`) applied, then nested into parts."""
        flat: list[Any] = []  # str | (kind, strip_left, strip_right, payload)
        position = start

        def literal(until: int) -> None:
            if until <= position:
                return
            raw = self.source[position:until].decode("utf-8", "replace")
            if trim:
                at_line_start = position == start or self.source[position - 1 : position] == b"\n"
                raw = _dedent(raw, trim, first_line=at_line_start)
            flat.append(unescape(raw))

        def walk(container: Any) -> None:
            nonlocal position
            for child in container.children:
                kind = child.type
                if child.end_byte <= start or child.start_byte >= end:
                    continue
                if kind in _NESTING:
                    walk(child)
                elif kind in _STRUCTURAL:
                    literal(child.start_byte)
                    flat.append(self._marker(child))
                    position = child.end_byte
                elif kind == "ERROR":
                    raise _Bad(f"syntax error in template at line {child.start_point[0] + 1}")

        walk(node)
        literal(end)
        return _nest(_strip(flat))

    def _marker(self, node: Any) -> tuple[str, bool, bool, Any]:
        children = node.children
        strip_left = len(children) > 1 and children[1].type == "strip_marker"
        strip_right = len(children) > 2 and children[-2].type == "strip_marker"
        kind = node.type
        if kind == "template_interpolation":
            expression = next((c for c in children if c.type == "expression"), None)
            if expression is None:
                raise _Bad("empty interpolation")
            return ("interp", strip_left, strip_right, self.expr(expression))
        if kind == "template_if_intro":
            expression = next((c for c in children if c.type == "expression"), None)
            if expression is None:
                raise _Bad("%{ if } without a condition")
            return ("if", strip_left, strip_right, self.expr(expression))
        if kind == "template_for_start":
            return ("for", strip_left, strip_right, self._for_intro(node))
        return (kind.removeprefix("template_"), strip_left, strip_right, None)


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise _Bad(f"invalid number {text!r}") from None


def _dedent(raw: str, cut: int, *, first_line: bool) -> str:
    lines = raw.split("\n")
    out = []
    for index, line in enumerate(lines):
        if index or first_line:
            strip = min(cut, len(line) - len(line.lstrip(" \t")))
            line = line[strip:]
        out.append(line)
    return "\n".join(out)


def _strip(flat: list[Any]) -> list[Any]:
    """`~` beside a marker removes the whitespace (newlines included) of the literal on that side."""
    out = list(flat)
    for index, item in enumerate(out):
        if isinstance(item, str):
            continue
        _, strip_left, strip_right, _ = item
        if strip_left and index > 0 and isinstance(out[index - 1], str):
            out[index - 1] = out[index - 1].rstrip(_WHITESPACE)
        if strip_right and index + 1 < len(out) and isinstance(out[index + 1], str):
            out[index + 1] = out[index + 1].lstrip(_WHITESPACE)
    return out


def _nest(flat: list[Any]) -> list[Any]:
    """Flat markers -> parts, with `%{ if }` and `%{ for }` sections as `tif` / `tfor` nodes."""
    stack: list[tuple[Any, list[Any], list[Any] | None]] = []
    parts: list[Any] = []
    for item in flat:
        if isinstance(item, str):
            if item:
                parts.append(item)
            continue
        kind, _, _, payload = item
        if kind == "interp":
            parts.append(payload)
        elif kind in ("if", "for"):
            stack.append((item, parts, None))
            parts = []
        elif kind == "else_intro":
            if not stack or stack[-1][0][0] != "if" or stack[-1][2] is not None:
                raise _Bad("%{ else } without %{ if }")
            opener, outer, _ = stack.pop()
            stack.append((opener, outer, parts))
            parts = []
        elif kind in ("if_end", "for_end"):
            if not stack or stack[-1][0][0] != kind[:-4].rstrip("_"):
                raise _Bad(f"unbalanced template directive %{{ end{kind[:-4]} }}")
            opener, outer, then_parts = stack.pop()
            if opener[0] == "if":
                if then_parts is None:
                    node: Node = ("tif", opener[3], _template(parts), ("lit", ""))
                else:
                    node = ("tif", opener[3], _template(then_parts), _template(parts))
            else:
                key_var, value_var, collection = opener[3]
                node = ("tfor", key_var, value_var, collection, _template(parts))
            outer.append(node)
            parts = outer
    if stack:
        raise _Bad("unterminated template directive")
    return parts


def _template(parts: list[Any]) -> Node:
    merged: list[Any] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    if all(isinstance(p, str) for p in merged):
        return ("lit", "".join(merged))
    if len(merged) == 1 and merged[0][0] not in ("tif", "tfor"):
        return merged[0]  # type: ignore[no-any-return]  # "${x}" keeps x's type, as Terraform does
    return ("tmpl", tuple(merged))


# --------------------------------------------------------------------------------------------------
# Parsing files, with errors as values


def _first_problem(root: Any) -> Any | None:
    """The first ERROR or MISSING node in document order."""
    cursor = root.walk()
    while True:
        node = cursor.node
        if node.is_error or node.is_missing:
            return node
        if node.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return None


def _syntax_error(path: str, source: bytes, node: Any, message: str | None = None) -> InputError:
    row, byte_column = node.start_point
    line_start = source.rfind(b"\n", 0, node.start_byte) + 1
    column = len(source[line_start : line_start + byte_column].decode("utf-8", "replace")) + 1
    if message is not None:
        pass
    elif node.is_missing:
        message = f"missing {node.type!r}" if not node.is_named else f"missing {node.type.replace('_', ' ')}"
    else:
        found = source[node.start_byte : node.end_byte].decode("utf-8", "replace").strip()
        first = found.splitlines()[0][:40] if found else ""
        message = f"unexpected {first!r}" if first else "unexpected end of input"
    return InputError(path, f"invalid HCL: {message}", row + 1, column)


def parse_text(text: str, path: str) -> ParsedFile | InputError:
    """Parse one file's text; a syntax error is an `InputError` at `path:line:col` in `ParsedFile.errors`."""
    return _parse_source(text.encode("utf-8", "surrogatepass"), path)


def _parse_source(source: bytes, path: str) -> ParsedFile | InputError:
    try:
        tree = _parser().parse(source)
    except Exception as error:  # pragma: no cover - tree-sitter parses any bytes
        return InputError(path, f"could not parse HCL: {type(error).__name__}: {error}")
    root = tree.root_node
    errors: tuple[InputError, ...]
    try:
        if not root.has_error:
            reader = _Reader(source)
            attributes, blocks = _read_root(reader, root)
            if not reader.problems:
                return ParsedFile(path, Block("", (), attributes, blocks, 1))
            node, message = min(reader.problems, key=lambda problem: problem[0].start_byte)
            errors = (_syntax_error(path, source, node, message),)
        else:
            problem = _first_problem(root)
            errors = (_syntax_error(path, source, problem),) if problem is not None else ()
        attributes, blocks = _read_chunks(source)
    except RecursionError:
        return InputError(path, "invalid HCL: expressions nest too deeply")
    return ParsedFile(path, Block("", (), attributes, blocks, 1), errors)


def _read_root(reader: _Reader, root: Any) -> tuple[dict[str, Attribute], tuple[Block, ...]]:
    body = next((c for c in root.children if c.type == "body"), None)
    return reader.body(body if body is not None else root)


_TOP_LEVEL = re.compile(rb'^[A-Za-z_][\w-]*(?:[ \t]+(?:"[^"\n]*"|[A-Za-z_][\w-]*))*[ \t]*[{=]', re.MULTILINE)
"""A line that starts a top-level block or attribute (at column 0, as `terraform fmt` writes them)."""


def _read_chunks(source: bytes) -> tuple[dict[str, Attribute], tuple[Block, ...]]:
    """A file with a syntax error, read one top-level block or attribute at a time: tree-sitter's recovery of
    the whole file can nest the blocks after an error inside the broken one; apart, each of them stands alone.
    Every chunk is parsed at its own line so that lines stay true."""
    starts = sorted({0, *(m.start() for m in _TOP_LEVEL.finditer(source))})
    attributes: dict[str, Attribute] = {}
    blocks: list[Block] = []
    for start, end in zip(starts, [*starts[1:], len(source)], strict=True):
        padded = b"\n" * source.count(b"\n", 0, start) + source[start:end]
        chunk_attributes, chunk_blocks = _read_root(_Reader(padded), _parser().parse(padded).root_node)
        for name, attribute in chunk_attributes.items():
            attributes.setdefault(name, attribute)
        blocks.extend(chunk_blocks)
    return attributes, tuple(blocks)


# --------------------------------------------------------------------------------------------------
# The parse cache: plain data (marshal of tuples, strings, numbers) in the user cache directory


@functools.cache
def _cache_salt() -> bytes:
    """What else a cached tree depends on: our node shapes and this reader (its file's stamp, so that an edited
    checkout never reads trees an older reader wrote), the grammar's build, and marshal's format."""
    import sys

    import tree_sitter_hcl

    stamps = []
    for module_file in (__file__, tree_sitter_hcl.__file__):
        try:
            status = os.stat(module_file or "")
            stamps.append(f"{status.st_mtime_ns}:{status.st_size}")
        except OSError:  # pragma: no cover
            stamps.append("?")
    return f"\0{SYNTAX_VERSION}\0{stamps}\0{marshal.version}\0{sys.version_info[:2]}".encode()


def _cache_key(content: bytes) -> str:
    digest = hashlib.sha256(content)
    digest.update(_cache_salt())
    return digest.hexdigest()


def _to_plain(parsed: ParsedFile) -> tuple[Any, ...]:
    def block(b: Block) -> tuple[Any, ...]:
        attributes = tuple((a.name, a.expression, a.line) for a in b.attributes.values())
        return (b.type, b.labels, attributes, tuple(block(c) for c in b.blocks), b.line)

    errors = tuple((e.message, e.line, e.column) for e in parsed.errors)
    return (block(parsed.body), errors)


def _from_plain(path: str, plain: Any) -> ParsedFile:
    def block(data: Any) -> Block:
        kind, labels, attributes, blocks, line = data
        return Block(kind, labels, {a[0]: Attribute._make(a) for a in attributes}, tuple(map(block, blocks)), line)

    body, errors = plain
    return ParsedFile(path, block(body), tuple(InputError(path, m, line, column) for m, line, column in errors))


def _cache_load(path: Path, name: str) -> ParsedFile | None:
    try:
        plain = marshal.loads(path.read_bytes())
        return _from_plain(name, plain)
    except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError):
        return None  # a missing, truncated or foreign file: parse again


def _cache_store(path: Path, parsed: ParsedFile) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(_to_plain(parsed)))
        os.replace(temporary, path)
    except (OSError, ValueError):
        pass  # a read-only cache directory only costs speed


_MEMORY: dict[str, ParsedFile] = {}
"""Files already parsed by this process (root-module discovery and evaluation read the same files)."""


def _parse_bytes(path: str, content: bytes) -> ParsedFile | InputError:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as error:
        return InputError(path, f"not UTF-8 text ({error.reason} at byte {error.start})")
    return _parse_source(content, path)


def parse_files(paths: Sequence[Path]) -> dict[str, ParsedFile | InputError]:
    """Parse many files, in this process: those already seen from memory or the content-hash cache."""
    results: dict[str, ParsedFile | InputError] = {}
    cache = cache_dir("hcl")
    for path in paths:
        name = str(path)
        try:
            content = path.read_bytes()
        except OSError as error:
            results[name] = InputError(name, f"cannot read: {error.strerror or error}")
            continue
        key = _cache_key(content)
        known = _MEMORY.get(key)
        if known is None and cache:
            known = _cache_load(cache / key[:2] / key, name)
        if known is not None:
            _MEMORY[key] = known
            results[name] = _renamed(known, name)
            continue
        parsed = _parse_bytes(name, content)
        results[name] = parsed
        if isinstance(parsed, ParsedFile):
            _MEMORY[key] = parsed
            if cache:
                _cache_store(cache / key[:2] / key, parsed)
    return results


def _renamed(parsed: ParsedFile, name: str) -> ParsedFile:
    if parsed.path == name:
        return parsed
    errors = tuple(InputError(name, e.message, e.line, e.column) for e in parsed.errors)
    return ParsedFile(name, parsed.body, errors)
