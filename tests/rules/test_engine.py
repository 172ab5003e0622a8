"""The engine: three-valued conditions, explanations, definition checks, and SQL that agrees with
the one-subject evaluation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gridlight.rules.conditions import ConditionError, parse_condition, years_before
from gridlight.rules.engine import DefinitionError, compile_definition, run_tests
from gridlight.rules.subjects import get_subject

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def household() -> Any:
    return get_subject("household")


def values(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"age": 40, "member_count": 2, "tags": set(), "grades": {}}
    base.update(kw)
    base["tags"] = set(base["tags"])
    return base


def test_three_valued_logic() -> None:
    cond = parse_condition(
        {"all_of": [{"age_at_least": 80}, {"has_tag": "living_alone"}]}, household()
    )
    assert cond.evaluate(values(age=85, tags={"living_alone"})).state == "pass"
    assert cond.evaluate(values(age=85)).state == "fail"
    assert cond.evaluate(values(age=None, tags={"living_alone"})).state == "unknown"
    assert cond.evaluate(values(age=None)).state == "fail"  # fail wins over unknown in all_of
    either = parse_condition(
        {"any_of": [{"age_at_least": 80}, {"has_tag": "dementia"}]}, household()
    )
    assert either.evaluate(values(age=None, tags={"dementia"})).state == "pass"
    assert either.evaluate(values(age=None)).state == "unknown"
    assert (
        parse_condition({"not": {"age_at_least": 80}}, household()).evaluate(values(age=None)).state
        == "unknown"
    )


def test_explanation_names_the_values_seen() -> None:
    cond = parse_condition(
        {"all_of": [{"age_at_least": 80}, {"member_count_at_most": 1}]}, household()
    )
    verdict = cond.evaluate(values(age=83, member_count=1))
    assert verdict.state == "pass"
    assert verdict.seen == {"age": 83, "members": 1}
    assert "80" in verdict.label


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"has_tag": "no_such_tag"}, "Unknown tag"),
        ({"age_at_least": -1}, "whole number"),
        ({"age_at_least": 80, "has_tag": "x"}, "exactly one key"),
        ({"grade_at_most": {"attribute": "living_alone", "grade": 2}}, "Unknown graded"),
        ({"all_of": []}, "non-empty list"),
        ({"frobnicate": 1}, "Unknown condition"),
        ({"cel": "age >= "}, "cannot be parsed"),
        ({"cel": "salary > 3"}, "salary"),
    ],
)
def test_bad_conditions_are_refused_with_a_reason(spec: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        parse_condition(spec, household())


def test_cel_condition_evaluates_and_reports_unknown() -> None:
    cond = parse_condition({"cel": "age >= 60 && 'empty_nest' in tags"}, household())
    assert cond.evaluate(values(age=70, tags={"empty_nest"})).state == "pass"
    assert cond.evaluate(values(age=50, tags={"empty_nest"})).state == "fail"
    assert cond.evaluate(values(age=None, tags={"empty_nest"})).state == "unknown"
    assert not cond.batchable


def test_definition_problems_are_all_listed() -> None:
    definition = {
        "outcomes": ["red", "green"],
        "default": "green",
        "rules": [
            {"code": "a", "outcome": "red", "when": {"has_tag": "nope"}},
            {"code": "a", "outcome": "blue", "when": {"has_tag": "dementia"}},
            {"code": "Bad Code", "outcome": "red", "when": {"has_tag": "dementia"}},
        ],
    }
    with pytest.raises(DefinitionError) as caught:
        compile_definition(definition, household())
    text = "\n".join(caught.value.problems)
    assert "Unknown tag: nope" in text
    assert "used twice" in text
    assert "outcome must be one of" in text
    assert "code must be" in text


def test_outcome_priority_and_reasons() -> None:
    definition = {
        "outcomes": ["red", "yellow", "green"],
        "default": "green",
        "rules": [
            {"code": "old", "outcome": "yellow", "when": {"age_at_least": 60}},
            {"code": "very_old", "outcome": "red", "when": {"age_at_least": 80}},
        ],
        "tests": [{"name": "t", "values": {"age": 85}, "expect": "red", "fired": ["very_old"]}],
    }
    compiled = compile_definition(definition, household())
    result = compiled.evaluate(values(age=85))
    assert result.outcome == "red"
    assert [r.code for r in result.fired] == ["old", "very_old"]
    assert result.reasons == ["very_old"]
    assert run_tests(compiled) == []
    compiled.tests[0]["expect"] = "yellow"
    assert run_tests(compiled) != []


def test_years_before_handles_leap_day() -> None:
    assert years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)
    assert years_before(date(2026, 6, 30), 80) == date(1946, 6, 30)
