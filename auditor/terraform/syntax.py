"""HCL text -> a compact, picklable syntax tree, with a content-hash cache and a two-process cold parse.

python-hcl2's Lark grammar does the parsing; its own transformer (which turns every expression back into a
string) is skipped: we convert the raw Lark tree straight into the small node tuples `expressions.py`
evaluates. That is both faster and lossless (literals stay apart from expressions, every block keeps its line).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.model import InputError

SYNTAX_VERSION = "1"
"""Bump when the node shapes change: it is part of every cache key."""

# Expression nodes are tuples whose first item names the node:
#   ("lit", value)                       ("tmpl", (part, ...))  part: str | node
#   ("var", name)                        ("attr", node, name)   ("index", node, key_node)
#   ("splat", node, (op, ...))           op: ("attr", name) | ("index", key_node)
#   ("call", name, (arg, ...), expand_last)
#   ("tuple", (node, ...))               ("object", ((key_node, value_node), ...))
#   ("binop", op, left, right)           ("unop", op, node)     ("cond", test, then, else)
#   ("for", key_var, value_var, collection, key_node | None, value_node, cond_node | None, grouping)
#   ("bad", message)                     something we do not evaluate (template directives)
Node = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    expression: Node
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class ParsedFile:
    path: str
    body: Block
    """A pseudo-block holding the file's top-level attributes and blocks."""


# --------------------------------------------------------------------------------------------------
# Lark tree -> nodes


@functools.cache
def _parser() -> Any:
    """python-hcl2's grammar, built straight with Lark: importing the `hcl2` package itself (its transformer,
    reconstructor and deserializer, none of which we use) costs another ~25 ms on every cold run.

    The grammar analysis (~4 s) is cached by Lark in the file python-hcl2 itself uses, with the same options in
    the same order so that both produce and accept one cache: it belongs to the installed grammar, not to the
    parse cache of file contents, and survives `AUDITOR_CACHE_DIR` being emptied."""
    import importlib.util

    from lark import Lark

    spec = importlib.util.find_spec("hcl2")
    if spec is None or not spec.origin:
        raise ImportError("python-hcl2 is not installed")
    package = Path(spec.origin).parent
    grammar = (package / "hcl2.lark").read_text(encoding="utf-8")
    shared_cache = package / ".lark_cache.bin"
    if os.access(package, os.W_OK) or shared_cache.is_file():
        cache: str | bool = str(shared_cache)
    else:
        cache = True  # Lark's own per-user file in the temporary directory
    return Lark(grammar, parser="lalr", cache=cache, propagate_positions=True, postlex=_PostLexer())


class _PostLexer:
    """Folds a newline into a following binary operator so an expression may continue on the next line.

    The same pass python-hcl2 runs (hcl2/postlexer.py); kept here so that parsing needs Lark but not the hcl2
    package. MINUS is left out on purpose: it is also unary negation, and `a = 1\nb = -2` must stay two lines."""

    _OPERATORS = frozenset(
        {
            "DOUBLE_EQ",
            "NEQ",
            "LT",
            "GT",
            "LEQ",
            "GEQ",
            "ASTERISK",
            "SLASH",
            "PERCENT",
            "DOUBLE_AMP",
            "DOUBLE_PIPE",
            "PLUS",
            "QMARK",
        }
    )
    always_accept: tuple[str, ...] = ()

    def process(self, stream: Any) -> Any:
        pending = None
        for token in stream:
            if token.type == "NL_OR_COMMENT":
                if pending is not None:
                    yield pending
                pending = token
                continue
            if pending is not None:
                if token.type in self._OPERATORS:
                    token = token.update(value=str(pending) + str(token))
                else:
                    yield pending
                pending = None
            yield token
        if pending is not None:
            yield pending


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, "\\" + code)

    return _ESCAPE_RE.sub(replace, text) if "\\" in text else text


class _Converter:
    """Walks python-hcl2's raw Lark tree; one method per grammar rule that matters."""

    def __init__(self, text: str) -> None:
        self.text = text

    def body(self, tree: Any) -> tuple[dict[str, Attribute], tuple[Block, ...]]:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for child in tree.children:
            data = getattr(child, "data", None)
            if data == "attribute":
                attribute = self.attribute(child)
                attributes[attribute.name] = attribute
            elif data == "block":
                blocks.append(self.block(child))
        return attributes, tuple(blocks)

    def attribute(self, tree: Any) -> Attribute:
        name_tree = tree.children[0]
        expression = tree.children[-1]
        return Attribute(self.name(name_tree), self.expr(expression), tree.meta.line)

    def block(self, tree: Any) -> Block:
        children = [c for c in tree.children if getattr(c, "data", None) not in (None, "new_line_or_comment")]
        block_type = self.name(children[0])
        labels: list[str] = []
        body_tree = None
        for child in children[1:]:
            if child.data == "body":
                body_tree = child
            elif child.data == "string":
                labels.append("".join(p for p in self.template_parts(child) if isinstance(p, str)))
            else:
                labels.append(self.name(child))
        attributes, blocks = self.body(body_tree) if body_tree is not None else ({}, ())
        return Block(block_type, tuple(labels), attributes, blocks, tree.meta.line)

    @staticmethod
    def name(tree: Any) -> str:
        token = tree.children[0] if hasattr(tree, "children") else tree
        return str(token)

    # expressions -------------------------------------------------------------------------------

    def expr(self, tree: Any) -> Node:
        data = getattr(tree, "data", None)
        if data is None:  # a bare token
            return ("lit", str(tree))
        method = getattr(self, "x_" + data, None)
        if method is None:
            return ("bad", f"unsupported syntax {data}")
        return method(tree)

    def _subtrees(self, tree: Any) -> list[Any]:
        return [c for c in tree.children if hasattr(c, "data") and c.data != "new_line_or_comment"]

    def x_expr_term(self, tree: Any) -> Node:
        inner = self._subtrees(tree)
        return self.expr(inner[0]) if inner else ("lit", None)

    def x_int_lit(self, tree: Any) -> Node:
        return ("lit", int(str(tree.children[0])))

    def x_float_lit(self, tree: Any) -> Node:
        return ("lit", float(str(tree.children[0])))

    def x_literal_value(self, tree: Any) -> Node:
        return ("lit", {"true": True, "false": False, "null": None}[str(tree.children[0])])

    def x_identifier(self, tree: Any) -> Node:
        return ("var", str(tree.children[0]))

    x_keyword = x_identifier

    def x_string(self, tree: Any) -> Node:
        return self._template(self.template_parts(tree))

    @staticmethod
    def _template(parts: list[str | Node]) -> Node:
        if all(isinstance(p, str) for p in parts):
            return ("lit", "".join(parts))  # type: ignore[arg-type]
        if len(parts) == 1:
            # "${x}" keeps x's type, as Terraform does.
            return parts[0]  # type: ignore[return-value]
        return ("tmpl", tuple(parts))

    def template_parts(self, tree: Any) -> list[str | Node]:
        parts: list[str | Node] = []
        for part in tree.children:
            if getattr(part, "data", None) != "string_part":
                continue
            inner = part.children[0]
            kind = getattr(inner, "data", None)
            if kind is None:
                token_type = inner.type
                if token_type == "ESCAPED_INTERPOLATION" or token_type == "ESCAPED_DIRECTIVE":
                    parts.append(str(inner)[1:])
                else:
                    parts.append(_unescape(str(inner)))
            elif kind == "interpolation":
                parts.append(self.expr(self._subtrees(inner)[0]))
            else:
                return [("bad", "template directives (%{if}/%{for}) are not evaluated")]
        merged: list[str | Node] = []
        for part in parts:
            if isinstance(part, str) and merged and isinstance(merged[-1], str):
                merged[-1] += part
            else:
                merged.append(part)
        return merged or [""]

    def x_template_string(self, tree: Any) -> Node:
        return ("lit", _unescape(str(tree.children[0])[2:-2]))

    def x_heredoc_template(self, tree: Any) -> Node:
        return self._heredoc(str(tree.children[0]), trim=False)

    def x_heredoc_template_trim(self, tree: Any) -> Node:
        return self._heredoc(str(tree.children[0]), trim=True)

    def _heredoc(self, token: str, *, trim: bool) -> Node:
        lines = token.split("\n")
        content = lines[1:-2]  # drop `<<EOF` and the closing marker (the token ends with a newline)
        if trim:
            indents = [len(line) - len(line.lstrip()) for line in content if line.strip()]
            cut = min(indents, default=0)
            content = [line[cut:] for line in content]
        text = "\n".join(content) + ("\n" if content else "")
        if "${" not in text and "%{" not in text:
            return ("lit", text)
        if "%{" in text.replace("%%{", ""):
            return ("bad", "template directives (%{if}/%{for}) are not evaluated")
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        wrapped = _parser().parse(f'x = "{escaped}"\n')
        attribute = self._subtrees(self._subtrees(wrapped)[0])[0]
        return self.expr(attribute.children[-1])

    def x_tuple(self, tree: Any) -> Node:
        return ("tuple", tuple(self.expr(c) for c in self._subtrees(tree)))

    def x_object(self, tree: Any) -> Node:
        items = []
        for element in self._subtrees(tree):
            key_tree, value_tree = self._subtrees(element)
            items.append((self.object_key(key_tree), self.expr(value_tree)))
        return ("object", tuple(items))

    def object_key(self, tree: Any) -> Node:
        inner = self._subtrees(tree)[0]
        if inner.data == "keyword":
            return ("lit", str(inner.children[0]))
        if inner.data == "expr_term":
            term = self._subtrees(inner)
            # A bare identifier key is a literal name; `(expr)` is evaluated.
            if len(term) == 1 and term[0].data == "identifier" and len(inner.children) == 1:
                return ("lit", str(term[0].children[0]))
        return self.expr(inner)

    def x_get_attr_expr_term(self, tree: Any) -> Node:
        base, get_attr = self._subtrees(tree)
        return ("attr", self.expr(base), self.name(self._subtrees(get_attr)[0]))

    def x_index_expr_term(self, tree: Any) -> Node:
        base, index = self._subtrees(tree)
        return ("index", self.expr(base), self.index_key(index))

    def index_key(self, index: Any) -> Node:
        if index.data == "short_index":
            return ("lit", int(str(index.children[-1])))
        return self.expr(self._subtrees(index)[0])

    def _splat_ops(self, tree: Any) -> tuple[tuple[str, Any], ...]:
        ops: list[tuple[str, Any]] = []
        for op in self._subtrees(tree):
            if op.data == "get_attr":
                ops.append(("attr", self.name(self._subtrees(op)[0])))
            else:
                ops.append(("index", self.index_key(op)))
        return tuple(ops)

    def x_attr_splat_expr_term(self, tree: Any) -> Node:
        base, splat = self._subtrees(tree)
        return ("splat", self.expr(base), self._splat_ops(splat))

    x_full_splat_expr_term = x_attr_splat_expr_term

    def x_function_call(self, tree: Any) -> Node:
        names = [self.name(c) for c in tree.children if getattr(c, "data", None) == "identifier"]
        arguments = next((c for c in tree.children if getattr(c, "data", None) == "arguments"), None)
        args: tuple[Node, ...] = ()
        expand = False
        if arguments is not None:
            args = tuple(self.expr(c) for c in self._subtrees(arguments))
            expand = any(getattr(c, "type", None) == "ELLIPSIS" for c in arguments.children)
        return ("call", "::".join(names), args, expand)

    def x_binary_op(self, tree: Any) -> Node:
        left, term = self._subtrees(tree)[:2]
        operator, right = self._subtrees(term)
        op = str(operator.children[0]).strip()
        return ("binop", op, self.expr(left), self.expr(right))

    def x_unary_op(self, tree: Any) -> Node:
        return ("unop", str(tree.children[0]), self.expr(tree.children[1]))

    def x_conditional(self, tree: Any) -> Node:
        test, then, otherwise = self._subtrees(tree)
        return ("cond", self.expr(test), self.expr(then), self.expr(otherwise))

    def _for(self, tree: Any, *, is_object: bool) -> Node:
        parts = self._subtrees(tree)
        intro = parts[0]
        intro_parts = self._subtrees(intro)
        names = [self.name(p) for p in intro_parts if p.data == "identifier"]
        collection = self.expr(intro_parts[-1])
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        cond = None
        if parts[-1].data == "for_cond":
            cond = self.expr(self._subtrees(parts[-1])[0])
            parts = parts[:-1]
        grouping = any(getattr(c, "type", None) == "ELLIPSIS" for c in tree.children)
        if is_object:
            return ("for", key_var, value_var, collection, self.expr(parts[1]), self.expr(parts[2]), cond, grouping)
        return ("for", key_var, value_var, collection, None, self.expr(parts[1]), cond, False)

    def x_for_tuple_expr(self, tree: Any) -> Node:
        return self._for(tree, is_object=False)

    def x_for_object_expr(self, tree: Any) -> Node:
        return self._for(tree, is_object=True)


# --------------------------------------------------------------------------------------------------
# Parsing files, with errors as values


def _error_from_lark(path: str, error: Exception) -> InputError:
    line = getattr(error, "line", None)
    column = getattr(error, "column", None)
    if isinstance(line, int) and line < 1:
        line = None
    token = getattr(error, "token", None)
    if token is not None and str(token).strip():
        found = str(token).strip().splitlines()[0][:40]
        message = f"unexpected {found!r}"
    elif getattr(error, "char", None):
        message = f"unexpected character {error.char!r}"
    else:
        message = "unexpected end of input" if "$END" in str(error) else "syntax error"
    return InputError(path, f"invalid HCL: {message}", line, column)


def parse_text(text: str, path: str) -> ParsedFile | InputError:
    """Parse one file's text; a syntax error becomes an `InputError` at `path:line:col`."""
    try:
        tree = _parser().parse(text + "\n")
    except Exception as error:  # Lark raises several unrelated exception types for bad input
        return _error_from_lark(path, error)
    try:
        attributes, blocks = _Converter(text).body(tree.children[0])
    except Exception as error:  # a tree shape we do not know must not take the whole audit down
        return InputError(path, f"could not read HCL: {type(error).__name__}: {error}")
    return ParsedFile(path, Block("", (), attributes, blocks, 1))


def _cache_dir() -> Path | None:
    if os.environ.get("AUDITOR_NO_CACHE"):
        return None
    explicit = os.environ.get("AUDITOR_CACHE_DIR")
    if explicit:
        return Path(explicit) / "hcl"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "auditor" / "hcl"


def _cache_key(content: bytes) -> str:
    digest = hashlib.sha256(content)
    digest.update(f"\0{SYNTAX_VERSION}\0{_hcl2_version()}".encode())
    return digest.hexdigest()


@functools.cache
def _hcl2_version() -> str:
    # Read hcl2/version.py as text: importing hcl2 pulls Lark in (and importlib.metadata costs ~20 ms), and a
    # warm run needs neither.
    import importlib.util

    spec = importlib.util.find_spec("hcl2")
    origin = spec.origin if spec else None
    if not origin:
        return "unknown"
    try:
        return Path(origin).with_name("version.py").read_text(encoding="utf-8")
    except OSError:
        return "unknown"


def _parse_bytes(path: str, content: bytes) -> ParsedFile | InputError:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return InputError(path, f"not UTF-8 text ({error.reason} at byte {error.start})")
    return parse_text(text, path)


def _parse_job(job: tuple[str, bytes]) -> ParsedFile | InputError:
    return _parse_bytes(*job)


PARALLEL_THRESHOLD_BYTES = 96_000
"""Below this much uncached text a second process costs more than it saves."""


def parse_files(paths: Sequence[Path], *, workers: int | None = None) -> dict[str, ParsedFile | InputError]:
    """Parse many files: cached ones from the content-hash cache, the rest across processes."""
    results: dict[str, ParsedFile | InputError] = {}
    pending: list[tuple[str, bytes, str]] = []
    cache = _cache_dir()
    for path in paths:
        name = str(path)
        try:
            content = path.read_bytes()
        except OSError as error:
            results[name] = InputError(name, f"cannot read: {error.strerror or error}")
            continue
        key = _cache_key(content)
        if key in _MEMORY:
            results[name] = ParsedFile(name, _MEMORY[key].body)
            continue
        if cache:
            cached = _cache_load(cache / key[:2] / key)
            if cached is not None:
                _MEMORY[key] = cached
                results[name] = ParsedFile(name, cached.body)
                continue
        pending.append((name, content, key))

    parsed_all = _parse_many([(n, c) for n, c, _ in pending], workers)
    for (name, _content, key), parsed in zip(pending, parsed_all, strict=True):
        results[name] = parsed
        if isinstance(parsed, ParsedFile):
            _MEMORY[key] = parsed
            if cache:
                _cache_store(cache / key[:2] / key, parsed)
    return results


_MEMORY: dict[str, ParsedFile] = {}
"""Files already parsed by this process (root-module discovery and evaluation read the same files)."""


def _parse_many(jobs: list[tuple[str, bytes]], workers: int | None) -> Iterable[ParsedFile | InputError]:
    size = sum(len(content) for _, content in jobs)
    count = workers or min(os.cpu_count() or 1, 4)
    if count < 2 or len(jobs) < 2 or size < PARALLEL_THRESHOLD_BYTES:
        return [_parse_job(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _parser()  # build the grammar once; forked workers inherit it
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        chunk = max(1, len(jobs) // (count * 4))
        return list(pool.map(_parse_job, jobs, chunksize=chunk))


def _cache_load(path: Path) -> ParsedFile | None:
    try:
        with path.open("rb") as handle:
            parsed = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
        return None
    return parsed if isinstance(parsed, ParsedFile) else None


def _cache_store(path: Path, parsed: ParsedFile) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(parsed, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only cache directory only costs speed
