"""The common shape both Terraform sources produce before semantics turns it into the model.

HCL evaluation and plan JSON reading each yield `ResourceInstance`s: one per expanded resource instance
(after count/for_each), with attribute values that are plain Python values or `Unresolved`. Nested blocks
are lists of dicts under the block's name, as in plan JSON. `semantics.build_intent` is the only reader.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.model import Location, Unresolved

Value = Any
"""str | int | float | bool | None | list[Value] | dict[str, Value] | Unresolved."""


@dataclass(frozen=True, slots=True)
class ResourceInstance:
    """One instance of a resource or data block (after count/for_each), with its evaluated attributes."""

    mode: str
    """`managed` for `resource` blocks, `data` for `data` blocks."""
    type: str
    name: str
    address: str
    """Full address with module path and index key: `module.a.google_x.y["k"]`, `data.google_iam_policy.p`."""
    attributes: Mapping[str, Value]
    location: Location
    provider_project: str | Unresolved | None = None
    """The google provider's default `project` in the instance's module, when one is configured."""
    provider_region: str | Unresolved | None = None
    provider_zone: str | Unresolved | None = None

    def get(self, name: str, default: Value = None) -> Value:
        return self.attributes.get(name, default)

    def block(self, name: str) -> dict[str, Value] | None:
        """The first nested block called `name`, or None."""
        blocks = self.attributes.get(name)
        if isinstance(blocks, list) and blocks and isinstance(blocks[0], dict):
            return blocks[0]
        if isinstance(blocks, dict):
            return blocks
        return None

    def blocks(self, name: str) -> list[dict[str, Value]]:
        blocks = self.attributes.get(name)
        if isinstance(blocks, dict):
            return [blocks]
        if isinstance(blocks, list):
            return [b for b in blocks if isinstance(b, dict)]
        return []


def is_unresolved(value: Value) -> bool:
    """True when the value, or anything inside it, is unknown."""
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, list):
        return any(is_unresolved(v) for v in value)
    if isinstance(value, dict):
        return any(is_unresolved(v) for v in value.values())
    return False


def policy_data_json(bindings: list[dict[str, Value]]) -> str:
    """`policy_data` as the google provider renders it: bindings sorted by role, members sorted, compact JSON."""
    rendered = []
    for binding in sorted(bindings, key=lambda b: str(b.get("role"))):
        entry: dict[str, Any] = {}
        condition = binding.get("condition")
        if isinstance(condition, list) and condition and isinstance(condition[0], dict):
            entry["condition"] = {k: v for k, v in sorted(condition[0].items()) if v not in (None, "")}
        entry["members"] = sorted(m for m in (binding.get("members") or []) if isinstance(m, str))
        entry["role"] = binding.get("role")
        rendered.append(entry)
    return json.dumps({"bindings": rendered}, separators=(",", ":"))
