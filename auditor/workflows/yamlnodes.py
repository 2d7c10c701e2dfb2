"""YAML as GitHub Actions reads it, with the source line of every value.

GitHub parses workflows as YAML 1.2, where `on`, `yes` and `no` are plain strings; PyYAML's SafeLoader follows YAML
1.1 and would turn the key `on` into `True`. The loader here keeps only `true`/`false` as booleans and returns
mappings, lists and strings that remember their line, so findings can point at the exact line of a `run:` script.
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class LineStr(str):
    """A string scalar with its position: `line` is where the value starts (1-based)."""

    line: int
    block: bool
    """True for `|` / `>` block scalars, whose text starts on the line after the indicator."""

    def __new__(cls, value: str, line: int, block: bool = False) -> LineStr:
        text = super().__new__(cls, value)
        text.line = line
        text.block = block
        return text

    def line_of(self, offset: int) -> int:
        """The file line of the character at `offset` in this string."""
        newlines = self.count("\n", 0, offset)
        return self.line + newlines + (1 if self.block else 0)


class LineDict(dict):
    """A mapping with the line of the mapping itself and of each key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 1
        self.key_lines: dict[Any, int] = {}


class LineList(list):
    line: int = 1


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and line-carrying containers."""


# Drop YAML 1.1's yes/no/on/off booleans: GitHub reads `on:` as the string "on".
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> LineStr:
    value = loader.construct_scalar(node)
    return LineStr(str(value), node.start_mark.line + 1, node.style in ("|", ">"))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list):
            key = tuple(key)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    sequence = LineList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    return sequence


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load(text: str) -> Any:
    """Parse one YAML document; raises yaml.YAMLError with a mark on bad input."""
    return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader subclass


def line_of(value: Any, default: int = 1) -> int:
    return getattr(value, "line", default)
