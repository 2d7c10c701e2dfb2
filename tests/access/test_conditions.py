"""IAM conditions on edges, judged with CEL against a fixed now."""

from __future__ import annotations

import datetime

import pytest

from auditor.access.conditions import Verdict, condition_text, judge
from auditor.model import Condition, Unresolved

NOW = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("expression", "name", "verdict"),
    [
        ('request.time < timestamp("2020-01-01T00:00:00Z")', None, Verdict.NEVER),
        ('request.time < timestamp("2027-01-01T00:00:00Z")', None, Verdict.CONDITIONAL),
        ('request.time > timestamp("2027-06-01T00:00:00Z")', None, Verdict.CONDITIONAL),
        ("request.time.getHours() >= 9 && request.time.getHours() < 17", None, Verdict.CONDITIONAL),
        ('resource.name == "projects/-/serviceAccounts/a@p"', "projects/-/serviceAccounts/a@p", Verdict.ALWAYS),
        ('resource.name == "projects/-/serviceAccounts/a@p"', "projects/-/serviceAccounts/b@p", Verdict.NEVER),
        ('resource.name == "projects/-/serviceAccounts/a@p"', None, Verdict.CONDITIONAL),
        ('resource.type == "x"', "n", Verdict.CONDITIONAL),
        ("not CEL ((", None, Verdict.CONDITIONAL),
    ],
)
def test_verdicts(expression: str, name: str | None, verdict: Verdict) -> None:
    assert judge(Condition(expression), name, NOW) is verdict


def test_no_condition_and_unknown_condition() -> None:
    assert judge(None, None, NOW) is Verdict.ALWAYS
    assert judge(Condition(Unresolved("var.condition")), None, NOW) is Verdict.CONDITIONAL


def test_an_unresolved_condition_is_shown_by_its_shape_or_origin_never_its_source_text() -> None:
    # As every report names an unknown (`Unresolved.__str__`): not the `${...}` it was written as.
    assert condition_text(Condition(Unresolved("${var.condition}", "var.condition"))) == "var.condition"
    shaped = Unresolved('"${var.a} && true"', "var.a", shape="{var.a} && true")
    assert condition_text(Condition(shaped)) == "{var.a} && true"
    assert condition_text(Condition("request.time < x")) == "request.time < x"
    assert condition_text(None) is None
