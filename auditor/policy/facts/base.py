"""What every subject's facts share: the documented-field convention, CEL types and values, and `Subject`.

A facts class is a frozen dataclass whose fields are written `name: Annotated[type, "what it means"]`: each field is
one CEL variable `<top>.<name>`, its Python type gives the CEL type, and the string is its documentation
(docs/policy-variables.md is generated from these). Adding a variable is adding one annotated field.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from auditor.model import Location, Unresolved
from auditor.policy.schema import SubjectKind


@dataclass(frozen=True, slots=True)
class Variable:
    """One CEL variable as documented: `top.name`, its CEL type and its description."""

    name: str
    """Dotted CEL path, e.g. `principal.human`."""
    type: str
    """CEL type: bool, string, int, list(string), list(map), map(string, string)."""
    doc: str


def _cel_type(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "bool"
    if annotation is str:
        return "string"
    if annotation is int:
        return "int"
    if origin in (tuple, frozenset, list):
        (item, *_) = typing.get_args(annotation)
        return f"list({_cel_type(item)})"
    if origin is not None and issubclass(origin, Mapping):
        key, value = typing.get_args(annotation)
        return "map" if value is Any else f"map({_cel_type(key)}, {_cel_type(value)})"
    if dataclasses.is_dataclass(annotation):
        return "map"
    raise TypeError(f"no CEL type for {annotation!r}")


@cache
def documented_fields(cls: type) -> tuple[tuple[str, str, str], ...]:
    """(name, CEL type, doc) of every `Annotated[type, "doc"]` field of a facts class, in declaration order."""
    hints = typing.get_type_hints(cls, include_extras=True)
    found = []
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        if typing.get_origin(hint) is not typing.Annotated:
            continue  # an internal field (the role's RoleFacts): not a variable
        base, *metadata = typing.get_args(hint)
        doc = next((m for m in metadata if isinstance(m, str)), None)
        if doc is None:
            raise TypeError(f"{cls.__name__}.{field.name}: a variable needs its documentation")
        found.append((field.name, _cel_type(base), doc))
    delegate = getattr(cls, "facts_from", None)
    if delegate is not None:
        found.extend(documented_fields(delegate))  # the role catalog's facts, read through (`role.act_as`)
    return tuple(found)


def variables_of(top: str, cls: type) -> tuple[Variable, ...]:
    return tuple(Variable(f"{top}.{name}", cel, doc) for name, cel, doc in documented_fields(cls))


def cel_value(value: object) -> Any:
    """A fact as CEL takes it: tuples and sets become lists, mappings and nested facts become dicts."""
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (tuple, list)):
        return [cel_value(item) for item in value]
    if isinstance(value, (frozenset, set)):
        return sorted(cel_value(item) for item in value)
    if isinstance(value, Mapping):
        return {str(key): cel_value(item) for key, item in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: cel_value(getattr(value, name)) for name, _, _ in documented_fields(type(value))}
    raise TypeError(f"no CEL value for {type(value).__name__}")


def fact(facts: object, name: str) -> Any:
    """One variable of a facts object (or of a plain dict, as in a sample activation)."""
    if isinstance(facts, Mapping):
        return facts[name]
    return getattr(facts, name)


def as_activation(activation: Mapping[str, object]) -> dict[str, Any]:
    """Every variable of every facts object, converted: for conditions whose reads cannot be pruned."""
    return {
        top: cel_value(facts) if not isinstance(facts, Mapping) else dict(facts) for top, facts in activation.items()
    }


def text(value: object) -> str:
    """A model value as CEL sees it: unresolved values read as their shape (`wb@{var.project_id}.iam...`) or
    their origin (`var.project_id`), never as `${...}` internals; None reads empty."""
    return "" if value is None else str(value)  # `Unresolved.__str__` is its shape or origin


def is_unresolved(value: object) -> bool:
    return isinstance(value, Unresolved)


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing a policy is evaluated on: its facts by CEL top-level name, and what a finding points at."""

    kind: SubjectKind
    activation: Mapping[str, Any]
    """Top-level variable name (`principal`, `binding`, `role`...) -> its frozen facts object."""
    resource: str
    location: Location | None
    principal: str | None = None
    role: str | None = None
    path: tuple[Mapping[str, str | None], ...] = ()
    """For an escalation: the steps, each `{from, to, technique, address, location, condition}`."""
    permissions: tuple[str, ...] = ()
