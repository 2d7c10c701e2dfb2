"""Terraform's built-in functions (the ones real configurations use) and the value conversions they share with
the evaluator (`expressions.py`). A function missing here evaluates to `Unresolved`, never to a guess; a wrong
argument raises `EvaluationError`, which `try()`/`can()` catch and nothing else swallows.
"""

from __future__ import annotations

import base64
import functools
import inspect
import itertools
import json
import math
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.errors import EvaluationError
from auditor.model import Unresolved

# ------------------------------------------------------------------------------------------------
# Conversions


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise EvaluationError(f"expected a bool, got {value!r}")


def to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise EvaluationError(f"expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return tidy_number(float(value)) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            pass
    raise EvaluationError(f"expected a number, got {value!r}")


def tidy_number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(tidy_number(float(value))) if isinstance(value, float) else str(value)
    if value is None:
        raise EvaluationError("null value cannot be used as a string")
    raise EvaluationError(f"cannot use a {type(value).__name__} as a string")


def normalise(value: Any) -> Any:
    if isinstance(value, float):
        return tidy_number(value)
    return value


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    raise EvaluationError(f"expected a list, got {type(value).__name__}")


def _distinct(items: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


# ------------------------------------------------------------------------------------------------
# Functions: the ones real configurations use. Missing ones evaluate to Unresolved, never to a guess.


def format_string(spec: str, *args: Any) -> str:
    values = iter(args)

    def replace(match: re.Match[str]) -> str:
        verb = match.group(2)
        if verb == "%":
            return "%"
        try:
            value = next(values)
        except StopIteration:
            raise EvaluationError(f"format: not enough arguments for {spec!r}") from None
        if verb == "q":
            return json.dumps(to_string(value))
        if verb == "d":
            return str(int(to_number(value)))
        if verb in "fFeg":
            return ("%" + match.group(1) + verb) % to_number(value)
        if verb == "t":
            return "true" if truthy(value) else "false"
        if verb == "v" and isinstance(value, (list, dict)):
            return json.dumps(value)
        return to_string(value)

    return re.sub(r"%([-+ #0-9.]*)([sdqvtfFeg%])", replace, spec)


def _formatlist(spec: str, *args: Any) -> list[str]:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise EvaluationError("formatlist: lists of different lengths")
    count = lengths.pop() if lengths else 1
    return [format_string(spec, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(count)]


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    if not isinstance(mapping, dict):
        raise EvaluationError("lookup: first argument must be a map")
    key = to_string(key)
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise EvaluationError(f"lookup: no key {key!r} and no default")


def _merge(*maps: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for mapping in maps:
        if mapping is None:
            continue
        if not isinstance(mapping, dict):
            raise EvaluationError("merge: arguments must be maps")
        result.update(mapping)
    return result


def _flatten(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in _as_list(value):
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _coalesce(*args: Any) -> Any:
    for arg in args:
        if isinstance(arg, Unresolved):
            return arg
        if arg is not None and arg != "":
            return arg
    raise EvaluationError("coalesce: all arguments are null or empty")


def _coalescelist(*args: Any) -> Any:
    for arg in args:
        if isinstance(arg, Unresolved):
            return arg
        if arg:
            return arg
    raise EvaluationError("coalescelist: all lists are empty")


def _element(items: Any, index: Any) -> Any:
    items = _as_list(items)
    if not items:
        raise EvaluationError("element: empty list")
    return items[int(to_number(index)) % len(items)]


def _index_of(collection: Any, value: Any) -> int:
    items = _as_list(collection)
    if value in items:
        return items.index(value)
    raise EvaluationError(f"index: {value!r} not in list")


def _slice(items: Any, start: Any, end: Any) -> list[Any]:
    return _as_list(items)[int(to_number(start)) : int(to_number(end))]


def _range(*args: Any) -> list[int | float]:
    numbers = [to_number(a) for a in args]
    start: int | float
    stop: int | float
    step: int | float
    if len(numbers) == 1:
        start, stop, step = 0, numbers[0], 1
    elif len(numbers) == 2:
        start, stop, step = numbers[0], numbers[1], 1 if numbers[1] >= numbers[0] else -1
    else:
        start, stop, step = numbers
    if step == 0:
        raise EvaluationError("range: step must not be zero")
    out: list[int | float] = []
    value = start
    while (step > 0 and value < stop) or (step < 0 and value > stop):
        out.append(value)
        value += step
        if len(out) > 10_000:
            raise EvaluationError("range: more than 10,000 elements")
    return out


def _file(module_dir: Path | None, name: Any) -> str:
    path = Path(to_string(name))
    if not path.is_absolute() and module_dir is not None:
        path = module_dir / path
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise EvaluationError(f"file({str(name)!r}): {error}") from None


def _fileexists(module_dir: Path | None, name: Any) -> bool:
    path = Path(to_string(name))
    return (module_dir / path if module_dir and not path.is_absolute() else path).is_file()


def _regex(pattern: Any, text: Any) -> Any:
    match = re.search(_go_regex(pattern), to_string(text))
    if not match:
        raise EvaluationError(f"regex: no match for {pattern!r}")
    if match.re.groupindex:
        return match.groupdict()
    if match.groups():
        return list(match.groups())
    return match.group(0)


def _regexall(pattern: Any, text: Any) -> list[Any]:
    compiled = re.compile(_go_regex(pattern))
    out: list[Any] = []
    for match in compiled.finditer(to_string(text)):
        if compiled.groupindex:
            out.append(match.groupdict())
        elif match.groups():
            out.append(list(match.groups()))
        else:
            out.append(match.group(0))
    return out


def _go_regex(pattern: Any) -> str:
    return to_string(pattern).replace("(?P<", "(?P<")


def _replace(value: Any, search_value: Any, replacement_value: Any) -> str:
    text, search, replacement = to_string(value), to_string(search_value), to_string(replacement_value)
    if len(search) > 1 and search.startswith("/") and search.endswith("/"):
        go = re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", replacement)
        return re.sub(search[1:-1], go, text)
    return text.replace(search, replacement)


def _one(items: Any) -> Any:
    items = _as_list(items)
    if len(items) > 1:
        raise EvaluationError("one: more than one element")
    return items[0] if items else None


def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    keys, values = _as_list(keys), _as_list(values)
    if len(keys) != len(values):
        raise EvaluationError("zipmap: lists of different lengths")
    return {to_string(k): v for k, v in zip(keys, values, strict=True)}


def _transpose(mapping: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, items in _tomap(mapping).items():
        for item in _as_list(items):
            out.setdefault(to_string(item), []).append(key)
    return {k: sorted(v) for k, v in out.items()}


def _map(*pairs: Any) -> dict[str, Any]:
    if len(pairs) % 2:
        raise EvaluationError("map: an odd number of arguments")
    return {to_string(pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2)}


def _tostring(value: Any) -> Any:
    return None if value is None else to_string(value)


def _tonumber(value: Any) -> Any:
    return None if value is None else to_number(value)


def _tobool(value: Any) -> Any:
    return None if value is None else truthy(value)


def _toset(value: Any) -> list[Any]:
    return _distinct(_as_list(value))


def _tomap(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EvaluationError("tomap: expected an object or map")
    return value


def _length(value: Any) -> int:
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise EvaluationError(f"length: cannot take the length of {type(value).__name__}")


def _substr(value: Any, offset: Any, length: Any) -> str:
    text = to_string(value)
    start = int(to_number(offset))
    size = int(to_number(length))
    if start < 0:
        start += len(text)
    return text[start:] if size == -1 else text[start : start + size]


def _jsondecode(text: Any) -> Any:
    try:
        return json.loads(to_string(text))
    except json.JSONDecodeError as error:
        raise EvaluationError(f"jsondecode: {error}") from None


def _yamldecode(text: Any) -> Any:
    import yaml

    try:
        return yaml.safe_load(to_string(text))
    except yaml.YAMLError as error:
        raise EvaluationError(f"yamldecode: {error}") from None


def _setop(combine: Callable[[list[Any], list[Any]], list[Any]]) -> Callable[..., list[Any]]:
    def function(first: Any, *rest: Any) -> list[Any]:
        result = _distinct(_as_list(first))
        for other in rest:
            result = combine(result, _as_list(other))
        return result

    return function


def _chunklist(items: Any, size: Any) -> list[list[Any]]:
    items, size = _as_list(items), int(to_number(size))
    if size <= 0:
        return [items]
    return [items[i : i + size] for i in range(0, len(items), size)]


def _sort(items: Any) -> list[str]:
    return sorted(to_string(i) for i in _as_list(items))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": lambda x: abs(to_number(x)),
    "alltrue": lambda xs: all(truthy(x) for x in _as_list(xs)),
    "anytrue": lambda xs: any(truthy(x) for x in _as_list(xs)),
    "base64decode": lambda s: base64.b64decode(to_string(s)).decode(),
    "base64encode": lambda s: base64.b64encode(to_string(s).encode()).decode(),
    "ceil": lambda x: math.ceil(to_number(x)),
    "chomp": lambda s: to_string(s).rstrip("\r\n"),
    "chunklist": _chunklist,
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "compact": lambda xs: [x for x in _as_list(xs) if x not in (None, "")],
    "concat": lambda *xs: [item for x in xs for item in _as_list(x)],
    "contains": lambda xs, v: v in _as_list(xs),
    "distinct": lambda xs: _distinct(_as_list(xs)),
    "element": _element,
    "endswith": lambda s, suffix: to_string(s).endswith(to_string(suffix)),
    "file": _file,
    "fileexists": _fileexists,
    "flatten": _flatten,
    "floor": lambda x: math.floor(to_number(x)),
    "format": lambda spec, *args: format_string(to_string(spec), *args),
    "formatlist": lambda spec, *args: _formatlist(to_string(spec), *args),
    "index": _index_of,
    "join": lambda sep, *lists: to_string(sep).join(to_string(x) for xs in lists for x in _as_list(xs)),
    "jsondecode": _jsondecode,
    "jsonencode": lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True),
    "keys": lambda m: sorted(_tomap(m).keys()),
    "length": _length,
    "list": lambda *xs: list(xs),
    "lookup": _lookup,
    "lower": lambda s: to_string(s).lower(),
    "map": lambda *kv: _map(*kv),
    "max": lambda first, *xs: max(to_number(x) for x in (first, *xs)),
    "merge": _merge,
    "min": lambda first, *xs: min(to_number(x) for x in (first, *xs)),
    "one": _one,
    "range": _range,
    "regex": _regex,
    "regexall": _regexall,
    "replace": _replace,
    "reverse": lambda xs: list(reversed(_as_list(xs))),
    "setintersection": _setop(lambda a, b: [x for x in a if x in b]),
    "setproduct": lambda *xs: [list(p) for p in itertools.product(*[_as_list(x) for x in xs])],
    "setsubtract": _setop(lambda a, b: [x for x in a if x not in b]),
    "setunion": _setop(lambda a, b: a + [x for x in b if x not in a]),
    "slice": _slice,
    "sort": _sort,
    "split": lambda sep, s: to_string(s).split(to_string(sep)),
    "startswith": lambda s, prefix: to_string(s).startswith(to_string(prefix)),
    "strrev": lambda s: to_string(s)[::-1],
    "substr": _substr,
    "sum": lambda xs: sum(to_number(x) for x in _as_list(xs)),
    "title": lambda s: to_string(s).title(),
    "tobool": _tobool,
    "tolist": lambda xs: list(_as_list(xs)),
    "tomap": _tomap,
    "urlencode": lambda s: urllib.parse.quote(to_string(s), safe=""),
    "tonumber": _tonumber,
    "toset": _toset,
    "tostring": _tostring,
    "transpose": _transpose,
    "trim": lambda s, chars: to_string(s).strip(to_string(chars)),
    "trimprefix": lambda s, p: to_string(s).removeprefix(to_string(p)),
    "trimspace": lambda s: to_string(s).strip(),
    "trimsuffix": lambda s, p: to_string(s).removesuffix(to_string(p)),
    "upper": lambda s: to_string(s).upper(),
    "values": lambda m: [v for _, v in sorted(_tomap(m).items())],
    "yamldecode": _yamldecode,
    "zipmap": _zipmap,
}


@functools.cache
def signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


def as_unknown(value: str | Unresolved) -> Unresolved | None:
    return value if isinstance(value, Unresolved) else None


NEEDS_MODULE_DIR = frozenset({"file", "fileexists"})
SHAPE_KEEPING = frozenset({"format", "join", "lookup"})
"""Functions whose unknown string arguments become holes in the result's shape."""
ELEMENT_TOLERANT = frozenset({"concat", "flatten", "tolist", "list", "merge", "element", "slice", "reverse", "one"})
"""Functions that move elements without looking at them: an unknown element stays one element of the result."""
UNKNOWN_TOLERANT = frozenset({"coalesce", "coalescelist"})
"""Functions that look at their arguments one by one; the others return the first unknown they are given."""
