"""Model objects -> JSON-ready values, in one place, so every JSON output spells the model the same way."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

from auditor.model import InputError, Location, ReadError, Unresolved


def to_json(value: Any) -> Any:
    """Dataclasses become objects, enums their values, unknowns `{"unresolved": "<expression>", "origin": ...,
    "shape": ...}` (what the value hangs on, and the value as a template with `{origin}` holes, or null)."""
    if isinstance(value, Unresolved):
        return {"unresolved": value.expression, "origin": value.origin, "shape": value.shape}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()  # a suppression's `until`
    if isinstance(value, Location):
        return {"path": value.path, "line": value.line}
    if isinstance(value, (InputError, ReadError)):
        return {**{f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}, "text": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(to_json(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value
