"""Evaluates HCL expression nodes (see `syntax.py`) with Terraform's semantics, where unknown is a value.

Whatever cannot be known statically evaluates to `Unresolved`, which flows through operators, templates and
functions instead of raising: a binding whose member is `"user:${var.who}"` with no value for `var.who`
comes out as an unresolved member that names `var.who`, never as a dropped or "safe" binding.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from auditor.errors import EvaluationError
from auditor.model import Unresolved, hole
from auditor.terraform.functions import (
    ELEMENT_TOLERANT,
    FUNCTIONS,
    NEEDS_MODULE_DIR,
    SHAPE_KEEPING,
    UNKNOWN_TOLERANT,
    as_unknown,
    format_string,
    normalise,
    signature,
    tidy_number,
    to_number,
    to_string,
    truthy,
)
from auditor.terraform.syntax import Node

Scope = Callable[[str], Any]
"""Looks up a root name (`var`, `local`, `each`, a resource type...). Raises KeyError when unknown."""


def expression_text(node: Node) -> str:
    """A short source-like rendering of a node, for `Unresolved` messages."""
    kind = node[0]
    if kind == "var":
        return str(node[1])
    if kind == "attr":
        return f"{expression_text(node[1])}.{node[2]}"
    if kind == "index":
        key = node[2]
        inner = json.dumps(key[1]) if key[0] == "lit" else expression_text(key)
        return f"{expression_text(node[1])}[{inner}]"
    if kind == "splat":
        return f"{expression_text(node[1])}[*]" + "".join(f".{op[1]}" for op in node[2] if op[0] == "attr")
    if kind == "call":
        return f"{node[1]}({', '.join(expression_text(a) for a in node[2])})"
    if kind == "lit":
        return json.dumps(node[1])
    if kind == "tmpl":
        return '"' + "".join(_template_part_text(p) for p in node[1]) + '"'
    if kind == "tuple":
        return "[" + ", ".join(expression_text(i) for i in node[1]) + "]"
    if kind == "binop":
        return f"{expression_text(node[2])} {node[1]} {expression_text(node[3])}"
    if kind == "cond":
        return f"{expression_text(node[1])} ? {expression_text(node[2])} : {expression_text(node[3])}"
    if kind == "for":
        return f"[for ... in {expression_text(node[3])}]"
    if kind == "object":
        return "{...}"
    if kind == "unop":
        return f"{node[1]}{expression_text(node[2])}"
    if kind == "tif":
        return f"%{{if {expression_text(node[1])}}}"
    if kind == "tfor":
        return f"%{{for ... in {expression_text(node[3])}}}"
    return "<expression>"


def _template_part_text(part: str | Node) -> str:
    if isinstance(part, str):
        return part
    return expression_text(part) if part[0] in ("tif", "tfor") else "${" + expression_text(part) + "}"


def join_shape(pieces: list[str | Unresolved]) -> str | Unresolved:
    """Known text and unknowns joined: a string when all are known, else an unknown that keeps the known text
    around holes (its shape), hangs on the first unknown (its expression) and names the declared resource when
    exactly one of the unknowns does (`"serviceAccount:${google_service_account.x.email}"`). Its origin is its
    shape: built from the holes' own origins, it means the same wherever the expression is written (the same
    template text in two modules over different variables gives two different unknowns)."""
    unknowns = [p for p in pieces if isinstance(p, Unresolved)]
    if not unknowns:
        return "".join(p for p in pieces if isinstance(p, str))
    declared = {u.declared_by for u in unknowns if u.declared_by is not None}
    shape = "".join(p.hole if isinstance(p, Unresolved) else p for p in pieces)
    return Unresolved(
        unknowns[0].expression,
        origin=shape,
        shape=shape,
        declared_by=declared.pop() if len(declared) == 1 else None,
    )


def common_shape(first: str, second: str, origin: str) -> str | None:
    """One shape for two texts: their common start and end around a `{origin}` hole (None if they share neither).
    Holes already in the texts are never cut in half."""
    size = 0
    while size < min(len(first), len(second)) and first[size] == second[size]:
        size += 1
    prefix = first[:size]
    if prefix.count("{") > prefix.count("}"):
        prefix = prefix[: prefix.rindex("{")]
    rest_first, rest_second = first[len(prefix) :], second[len(prefix) :]
    size = 0
    while size < min(len(rest_first), len(rest_second)) and rest_first[-1 - size] == rest_second[-1 - size]:
        size += 1
    suffix = rest_first[len(rest_first) - size :] if size else ""
    if suffix.count("}") > suffix.count("{"):
        suffix = suffix[suffix.index("}") + 1 :]
    if not prefix and not suffix:
        return None
    return f"{prefix}{hole(origin)}{suffix}"


def first_unresolved(value: Any) -> Unresolved | None:
    if isinstance(value, Unresolved):
        return value
    if isinstance(value, list):
        for item in value:
            found = first_unresolved(item)
            if found:
                return found
    elif isinstance(value, dict):
        for item in value.values():
            found = first_unresolved(item)
            if found:
                return found
    return None


class Evaluator:
    """Evaluates nodes against a scope; `module_dir` anchors `file()` and `path.module`."""

    def __init__(self, scope: Scope, module_dir: Path | None = None) -> None:
        self.scope = scope
        self.module_dir = module_dir

    def child(self, bindings: Mapping[str, Any]) -> Evaluator:
        """An evaluator with extra names bound (for-expression variables, each, count, iterators)."""
        parent = self.scope

        def scope(name: str) -> Any:
            if name in bindings:
                return bindings[name]
            return parent(name)

        return Evaluator(scope, self.module_dir)

    def evaluate(self, node: Node) -> Any:
        try:
            return self._eval(node)
        except EvaluationError as error:
            return Unresolved(f"{expression_text(node)}: {error}")

    # ---------------------------------------------------------------------------------------------

    def _eval(self, node: Node) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "var":
            try:
                return self.scope(node[1])
            except KeyError:
                raise EvaluationError(f"unknown name {node[1]!r}") from None
        if kind == "attr":
            return self._get_attr(node)
        if kind == "index":
            return self._index(self._eval(node[1]), self._eval(node[2]), node)
        if kind == "tmpl":
            return self._template(node)
        if kind == "tuple":
            return [self._eval(item) for item in node[1]]
        if kind == "object":
            return self._object(node)
        if kind == "call":
            return self._call(node)
        if kind == "binop":
            return self._binop(node)
        if kind == "unop":
            return self._unop(node)
        if kind == "cond":
            test = self._eval(node[1])
            if isinstance(test, Unresolved):
                return self._either(test, node)
            return self._eval(node[2] if truthy(test) else node[3])
        if kind == "splat":
            return self._splat(node)
        if kind == "for":
            return self._for(node)
        if kind == "tif":
            return self._template_if(node)
        if kind == "tfor":
            return self._template_for(node)
        if kind == "bad":
            return Unresolved(node[1])
        raise EvaluationError(f"unknown node {kind}")

    def _get_attr(self, node: Node) -> Any:
        base = self._eval(node[1])
        name = node[2]
        if isinstance(base, Unresolved):
            return base
        if isinstance(base, dict):
            if name in base:
                return base[name]
            raise EvaluationError(f"no attribute {name!r} in {expression_text(node[1])}")
        if isinstance(base, list):
            raise EvaluationError(f"{expression_text(node[1])} is a list: use an index or [*] before .{name}")
        raise EvaluationError(f"cannot read .{name} of {type(base).__name__}")

    def _index(self, base: Any, key: Any, node: Node) -> Any:
        if isinstance(base, Unresolved):
            return base
        if isinstance(key, Unresolved):
            return key
        if isinstance(base, list):
            if isinstance(key, str) and key.lstrip("-").isdigit():
                key = int(key)
            if not isinstance(key, int) or isinstance(key, bool):
                raise EvaluationError(f"list index must be a number, got {key!r}")
            if not 0 <= key < len(base):
                raise EvaluationError(f"index {key} out of range for {expression_text(node[1])}")
            return base[key]
        if isinstance(base, dict):
            text_key = to_string(key)
            if text_key in base:
                return base[text_key]
            raise EvaluationError(f"no key {text_key!r} in {expression_text(node[1])}")
        raise EvaluationError(f"cannot index {type(base).__name__}")

    def _template(self, node: Node) -> Any:
        parts = node[1]
        if len(parts) == 1 and not isinstance(parts[0], str):
            return self._eval(parts[0])  # "${x}" is x, whatever its type
        pieces: list[str | Unresolved] = []
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = self._eval(part)
            if isinstance(value, Unresolved):
                pieces.append(value)
            elif isinstance(value, (list, dict)) and first_unresolved(value):
                return first_unresolved(value)
            else:
                pieces.append(to_string(value))
        return join_shape(pieces)

    def _template_if(self, node: Node) -> Any:
        """`%{ if test }...%{ else }...%{ endif }`: the chosen branch's text (an unknown test is the result)."""
        test = self._eval(node[1])
        if isinstance(test, Unresolved):
            return test
        return self._template_text(node[2] if truthy(test) else node[3])

    def _template_for(self, node: Node) -> Any:
        """`%{ for k, v in xs }...%{ endfor }`: the body's text once per element, joined."""
        _, key_var, value_var, collection_node, body = node
        collection = self._eval(collection_node)
        if isinstance(collection, Unresolved):
            return collection
        if isinstance(collection, dict):
            pairs: list[tuple[Any, Any]] = list(collection.items())
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            raise EvaluationError(f"cannot iterate over {type(collection).__name__} in a template")
        pieces: list[str | Unresolved] = []
        for key, value in pairs:
            names = {value_var: value, **({key_var: key} if key_var else {})}
            text = self.child(names)._template_text(body)
            pieces.append(text)
        return join_shape(pieces)

    def _template_text(self, node: Node) -> str | Unresolved:
        value = self._eval(node)
        if isinstance(value, Unresolved):
            return value
        if isinstance(value, (list, dict)):
            raise EvaluationError("a template directive's body must be text")
        return to_string(value)

    def _object(self, node: Node) -> Any:
        result: dict[str, Any] = {}
        for key_node, value_node in node[1]:
            key = self._eval(key_node)
            if isinstance(key, Unresolved):
                return key
            result[to_string(key)] = self._eval(value_node)
        return result

    def _splat(self, node: Node) -> Any:
        base = self._eval(node[1])
        if isinstance(base, Unresolved):
            return base
        if base is None:
            return []
        items = base if isinstance(base, list) else list(base.values()) if isinstance(base, dict) else [base]
        results = []
        for item in items:
            value = item
            for op in node[2]:
                if isinstance(value, Unresolved):
                    break
                if op[0] == "attr":
                    if not isinstance(value, dict) or op[1] not in value:
                        raise EvaluationError(f"no attribute {op[1]!r} in splat of {expression_text(node[1])}")
                    value = value[op[1]]
                else:
                    value = self._index(value, self._eval(op[1]), node)
            results.append(value)
        return results

    def _for(self, node: Node) -> Any:
        _, key_var, value_var, collection_node, key_node, value_node, cond_node, grouping = node
        collection = self._eval(collection_node)
        if isinstance(collection, Unresolved):
            return collection
        if isinstance(collection, dict):
            pairs = list(collection.items())
        elif isinstance(collection, list):
            pairs = list(enumerate(collection))
        else:
            raise EvaluationError(f"cannot iterate over {type(collection).__name__}")
        is_object = key_node is not None
        out_list: list[Any] = []
        out_map: dict[str, Any] = {}
        for key, value in pairs:
            names = {value_var: value}
            if key_var:
                names[key_var] = key
            inner = self.child(names)
            if cond_node is not None:
                keep = inner._eval(cond_node)
                if isinstance(keep, Unresolved):
                    return keep
                if not truthy(keep):
                    continue
            item = inner._eval(value_node)
            if not is_object:
                out_list.append(item)
                continue
            out_key = inner._eval(key_node)
            if isinstance(out_key, Unresolved):
                return out_key
            text_key = to_string(out_key)
            if grouping:
                out_map.setdefault(text_key, []).append(item)
            elif text_key in out_map:
                raise EvaluationError(f"duplicate key {text_key!r} in for expression (use ... to group)")
            else:
                out_map[text_key] = item
        return out_map if is_object else out_list

    def _binop(self, node: Node) -> Any:
        op = node[1]
        if op in ("&&", "||"):
            left = self._eval(node[2])
            if not isinstance(left, Unresolved):
                if op == "&&" and not truthy(left):
                    return False
                if op == "||" and truthy(left):
                    return True
            right = self._eval(node[3])
            for value in (left, right):
                if isinstance(value, Unresolved):
                    return value
            return truthy(right)
        left, right = self._eval(node[2]), self._eval(node[3])
        for value in (left, right):
            if isinstance(value, Unresolved):
                return value
        if op == "==":
            return normalise(left) == normalise(right)
        if op == "!=":
            return normalise(left) != normalise(right)
        a, b = to_number(left), to_number(right)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0:
                raise EvaluationError("division by zero")
            return tidy_number(a / b)
        if op == "%":
            if b == 0:
                raise EvaluationError("division by zero")
            return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else int(math.fmod(a, b))
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        if op == ">=":
            return a >= b
        raise EvaluationError(f"unknown operator {op}")

    def _unop(self, node: Node) -> Any:
        value = self._eval(node[2])
        if isinstance(value, Unresolved):
            return value
        if node[1] == "!":
            return not truthy(value)
        return -to_number(value)

    def _call(self, node: Node) -> Any:
        name, arg_nodes, expand = node[1], node[2], node[3]
        if name in ("try", "can"):
            return self._try(name, arg_nodes)
        function = FUNCTIONS.get(name.removeprefix("provider::google::"))
        if function is None:
            return Unresolved(f"{expression_text(node)}: function {name}() is not evaluated")
        args = [self._eval(a) for a in arg_nodes]
        if expand and args:
            last = args.pop()
            if isinstance(last, Unresolved):
                return last
            args.extend(last if isinstance(last, list) else list(last.values()))
        if name in SHAPE_KEEPING:
            shaped = self._shaped_call(name, args)
            if shaped is not None:
                return shaped
        if name in ELEMENT_TOLERANT:
            for arg in args:
                if isinstance(arg, Unresolved):
                    return arg
        elif name not in UNKNOWN_TOLERANT:
            for arg in args:
                found = first_unresolved(arg)
                if found:
                    return found
        call_args = [self.module_dir, *args] if name in NEEDS_MODULE_DIR else args
        try:
            signature(function).bind(*call_args)
        except TypeError:
            raise EvaluationError(f"{name}(): wrong number of arguments ({len(args)})") from None
        try:
            return function(*call_args)
        except (ValueError, OverflowError, re.error) as error:
            # Bad values in the configuration (a malformed number, base64 or regex). Anything else raised in
            # here (KeyError, AttributeError, TypeError...) is a bug of ours: it propagates as an internal error,
            # never as a try() fallback or an input error.
            raise EvaluationError(f"{name}(): {error}") from None

    def _either(self, test: Unresolved, node: Node) -> Any:
        """`unknown ? a : b`: the value both branches agree on, or an unknown shaped by what they share
        (`"user:${x}@a.com"` and `"user:${y}@a.com"` are both `user:{...}@a.com`: a person either way)."""
        try:
            branches = [self._eval(node[2]), self._eval(node[3])]
        except EvaluationError:
            return test
        first, second = branches
        if first == second and not isinstance(first, Unresolved) and first_unresolved(first) is None:
            return first
        texts = [b if isinstance(b, str) else b.hole if isinstance(b, Unresolved) else None for b in branches]
        origin = f"{test.origin} ? {texts[0] or expression_text(node[2])} : {texts[1] or expression_text(node[3])}"
        declared = {b.declared_by if isinstance(b, Unresolved) else None for b in branches}
        shape = common_shape(texts[0], texts[1], origin) if texts[0] is not None and texts[1] is not None else None
        return Unresolved(
            test.expression, origin=origin, shape=shape, declared_by=declared.pop() if len(declared) == 1 else None
        )

    @staticmethod
    def _shaped_call(name: str, args: list[Any]) -> Unresolved | None:
        """`format` and `join` over known text and unknown strings: an unknown with a shape, or None (evaluate as
        usual) when nothing is unknown or the unknowns are not plain strings."""
        if not args or isinstance(args[0], Unresolved):
            return None
        if name == "format":
            unknown = [a for a in args[1:] if isinstance(a, Unresolved)]
            if not unknown or any(isinstance(a, (list, dict)) for a in args[1:]):
                return None
            spec = to_string(args[0])
            verbs = re.findall(r"%[-+ #0-9.]*([sdqvtfFeg%])", spec)
            values = [v for v in verbs if v != "%"]
            if len(values) != len(args) - 1 or any(
                isinstance(a, Unresolved) and v not in "sv" for v, a in zip(values, args[1:], strict=True)
            ):
                return None
            pieces: list[str | Unresolved] = []
            rest = iter(args[1:])
            for literal, verb in re.findall(r"((?:[^%]|%%)*)(%[-+ #0-9.]*[sdqvtfFeg]|$)", spec):
                pieces.append(literal.replace("%%", "%"))
                if verb:
                    value = next(rest)
                    pieces.append(value if isinstance(value, Unresolved) else format_string(verb, value))
            return as_unknown(join_shape(pieces))
        if name == "lookup" and len(args) == 3 and isinstance(args[1], Unresolved) and isinstance(args[0], dict):
            # An unknown key into a known map with a known default: one of known strings, shaped by what they share.
            candidates = [*args[0].values(), args[2]]
            if not all(isinstance(c, str) for c in candidates):
                return None
            origin = f"lookup({', '.join(json.dumps(c) for c in candidates)})[{args[1].origin}]"
            shape: str | None = candidates[0]
            for candidate in candidates[1:]:
                shape = common_shape(shape, candidate, origin) if shape is not None else None
            if shape is not None and hole(origin) not in shape:
                return None  # every candidate is the same string: evaluate as usual
            return Unresolved(args[1].expression, origin=origin, shape=shape)
        if name == "join" and len(args) >= 2 and all(isinstance(a, list) for a in args[1:]):
            items = [item for xs in args[1:] for item in xs]
            if not any(isinstance(i, Unresolved) for i in items) or any(isinstance(i, (list, dict)) for i in items):
                return None
            separator = to_string(args[0])
            pieces = []
            for index, item in enumerate(items):
                if index:
                    pieces.append(separator)
                pieces.append(item if isinstance(item, Unresolved) else to_string(item))
            return as_unknown(join_shape(pieces))
        return None

    def _try(self, name: str, arg_nodes: tuple[Node, ...]) -> Any:
        for arg in arg_nodes:
            try:
                value = self._eval(arg)
            except EvaluationError:
                continue
            if name == "can":
                return value if isinstance(value, Unresolved) else True
            return value
        if name == "can":
            return False
        raise EvaluationError("no argument of try() could be evaluated")
