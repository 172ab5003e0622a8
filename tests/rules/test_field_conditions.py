"""Typed field conditions (field_at_least / field_at_most / field_in): generic over any subject
that declares the field, three-valued, and the same answer in SQL as for one subject — on the
households' subject too, whose ages are years since a birth date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection

from gridlight.rules.conditions import ConditionError, SqlContext, parse_condition
from gridlight.rules.engine import compile_definition
from gridlight.rules.subjects import get_subject
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
DAY = date(2026, 6, 1)


def test_field_conditions_are_three_valued() -> None:
    talent = get_subject("talent")
    level = parse_condition({"field_in": {"field": "level", "values": ["A", "B"]}}, talent)
    assert level.evaluate({"level": "A"}).state == "pass"
    assert level.evaluate({"level": "C"}).state == "fail"
    unknown = level.evaluate({"level": None})
    assert unknown.state == "unknown"
    assert unknown.missing == {"level"}
    young = parse_condition({"not": {"field_at_least": {"field": "age", "value": 36}}}, talent)
    assert young.evaluate({"age": 30}).state == "pass"
    assert young.evaluate({"age": None}).missing == {"age"}


@pytest.mark.parametrize(
    ("spec", "word"),
    [
        ({"field_in": {"field": "nope", "values": ["x"]}}, "Unknown field"),
        ({"field_in": {"field": "level", "values": []}}, "non-empty"),
        ({"field_in": {"field": "level", "values": [True]}}, "non-empty"),
        ({"field_at_least": {"field": "level", "value": 1}}, "not a number"),
        ({"field_at_least": {"field": "age", "value": -1}}, "whole number"),
        ({"field_at_least": {"field": "age"}}, "takes"),
        ({"field_at_least": {"field": "tags", "value": 1}}, "Unknown field"),
    ],
)
def test_bad_field_conditions_are_refused(spec: Any, word: str) -> None:
    with pytest.raises(ConditionError) as exc:
        parse_condition(spec, get_subject("talent"))
    assert word in exc.value.message


def test_household_ages_compare_in_sql_as_for_one_household() -> None:
    subject = get_subject("household")
    old = HouseholdFactory(
        members=[MemberFactory.build(relation="head", birth_date=date(1940, 6, 2))]
    )
    exact = HouseholdFactory(
        members=[MemberFactory.build(relation="head", birth_date=date(1946, 6, 1))]
    )
    young = HouseholdFactory(
        members=[MemberFactory.build(relation="head", birth_date=date(1990, 1, 1))]
    )
    unknown = HouseholdFactory(members=[MemberFactory.build(relation="head", birth_date=None)])
    definition = {
        "outcomes": ["red", "yellow", "green"],
        "default": "green",
        "rules": [
            {
                "code": "aged",
                "outcome": "red",
                "when": {"field_at_least": {"field": "age", "value": 80}},
            },
            {
                "code": "small_young",
                "outcome": "yellow",
                "when": {
                    "all_of": [
                        {"field_at_most": {"field": "age", "value": 40}},
                        {"field_at_most": {"field": "member_count", "value": 1}},
                    ]
                },
            },
        ],
    }
    compiled = compile_definition(definition, subject)
    sql, params = compiled.outcome_sql(subject, DAY)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        batch = {row[0]: row[2] for row in cur.fetchall()}
    for h in (old, exact, young, unknown):
        assert batch[h.pk] == compiled.evaluate(subject.values(h, DAY)).outcome, h
    assert [batch[h.pk] for h in (old, exact, young, unknown)] == ["red", "red", "yellow", "green"]
    # And the condition alone, rendered three-valued, leaves the unknown age unknown.
    cond = parse_condition({"field_at_least": {"field": "age", "value": 80}}, subject)
    columns = {"field:age": "c0"}
    features, fparams = subject.feature_sql(columns, DAY)
    text, cparams = cond.sql(SqlContext(columns, DAY))
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT f.id, CASE WHEN {text} THEN 'y' WHEN NOT {text} THEN 'n' END "  # noqa: S608
            f"FROM ({features}) f",
            [*cparams, *cparams, *fparams],
        )
        states = dict(cur.fetchall())
    assert [states[h.pk] for h in (old, exact, young, unknown)] == ["y", "y", "n", None]
