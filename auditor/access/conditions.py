"""IAM conditions on access-graph edges, judged with CEL against the current time.

A condition that is false now and at every later instant we try (an hour, a day, a week, a month, a year, ten
years ahead) can never be true again: the grant is gone. One true at some instant is kept and marked conditional.
`resource.name` is bound where the target's name is known; anything the condition reads that we cannot bind
(`resource.type`, `request.auth.*`, an unknown expression) keeps the grant, conditional: never assumed away.
"""

from __future__ import annotations

import datetime
import enum
import functools
from typing import Any

from auditor.model import Condition, Unresolved


class Verdict(enum.Enum):
    ALWAYS = "always"
    CONDITIONAL = "conditional"
    NEVER = "never"


_LATER = (
    datetime.timedelta(0),
    datetime.timedelta(hours=1),
    datetime.timedelta(hours=7),
    datetime.timedelta(hours=13),
    datetime.timedelta(days=1),
    datetime.timedelta(days=3),
    datetime.timedelta(days=7),
    datetime.timedelta(days=30),
    datetime.timedelta(days=365),
    datetime.timedelta(days=3650),
)


@functools.cache
def _program(expression: str) -> Any:
    from auditor.policy.engine import compile_condition

    try:
        return compile_condition(expression)
    except Exception:  # noqa: BLE001 - an expression our engine cannot read stays conditional
        return None


def judge(condition: Condition | None, resource_name: str | None, now: datetime.datetime) -> Verdict:
    """Whether a grant with this condition applies to the resource named `resource_name` (None: unknown)."""
    if condition is None:
        return Verdict.ALWAYS
    expression = condition.expression
    if isinstance(expression, Unresolved) or not expression.strip():
        return Verdict.CONDITIONAL
    return _judge(expression, resource_name, now)


@functools.lru_cache(maxsize=65536)
def _judge(expression: str, resource_name: str | None, now: datetime.datetime) -> Verdict:
    program = _program(expression)
    if program is None:
        return Verdict.CONDITIONAL
    from auditor.policy.engine import _load_rust_cel

    context_class = _load_rust_cel().Context
    results = []
    for later in _LATER:
        activation: dict[str, Any] = {"request": {"time": now + later}}
        if resource_name is not None:
            activation["resource"] = {"name": resource_name}
        try:
            result = program.execute(context_class(activation))
        except Exception:  # noqa: BLE001 - reads something we cannot bind: unknown, so kept
            return Verdict.CONDITIONAL
        if not isinstance(result, bool):
            return Verdict.CONDITIONAL
        results.append(result)
    if not any(results):
        return Verdict.NEVER
    if all(results) and "request" not in expression:
        return Verdict.ALWAYS  # a resource.name condition that matches this resource
    return Verdict.CONDITIONAL


def condition_text(condition: Condition | None) -> str | None:
    """The condition as paths and messages show it: an unresolved one by its shape or origin, as reports name it."""
    return None if condition is None else str(condition.expression)
