"""Three-valued eligibility per policy and per condition, amounts across policies, the missing
facts ranked, and the policies' own test cases (pure: values in, no database)."""

from __future__ import annotations

from typing import Any

import pytest

from gridlight.policies.definition import (
    PolicyDefinitionError,
    compile_policy,
    evaluate,
    rank_missing,
    run_tests,
)
from gridlight.rules.subjects import get_subject

pytestmark = pytest.mark.usefixtures("english")
TALENT = get_subject("talent")
ENTERPRISE = get_subject("enterprise")


def talent_policy(code: str, when: Any, benefit: Any = None, **kw: Any) -> Any:
    definition = {"when": when, "benefit": benefit, "tests": kw.pop("tests", [])}
    return compile_policy(definition, TALENT, code=code, **kw)


def values(**kw: Any) -> dict[str, Any]:
    return {"tags": set(), "grades": {}} | kw


LEVEL_AB = {"field_in": {"field": "level", "values": ["A", "B"]}}
DOCTOR = {"field_in": {"field": "degree", "values": ["doctor"]}}
YOUNG = {"field_at_most": {"field": "age", "value": 35}}


def test_met_not_met_and_unknown_with_the_missing_fact() -> None:
    p = talent_policy("p", {"all_of": [LEVEL_AB, DOCTOR]})
    assert evaluate([p], values(level="A", degree="doctor"))["p"].state == "met"
    assert evaluate([p], values(level="C", degree=None))["p"].state == "not_met"  # decided
    unknown = evaluate([p], values(level="A", degree=None))["p"]
    assert unknown.state == "unknown"
    assert unknown.missing == {"degree"}
    assert unknown.offered  # unknown is never "not eligible"


def test_each_condition_has_its_own_state_and_value() -> None:
    p = talent_policy("p", {"all_of": [LEVEL_AB, YOUNG]})
    verdict = evaluate([p], values(level="B", age=None))["p"].verdict
    assert [v.state for v in verdict.parts] == ["pass", "unknown"]
    assert verdict.parts[0].seen == {"talent level": "Class B"}


def test_missing_facts_are_ranked_by_the_policies_they_decide() -> None:
    policies = [
        talent_policy("a", DOCTOR),
        talent_policy("b", {"all_of": [LEVEL_AB, DOCTOR]}),
        talent_policy("c", {"all_of": [DOCTOR, YOUNG]}),
        talent_policy("d", YOUNG),
    ]
    results = evaluate(policies, values(level="A", degree=None, age=None))
    ranked = rank_missing(results.values())
    assert [(m.field, m.decides, m.concerns) for m in ranked] == [
        ("degree", 2, 3),  # decides a and b alone; c also needs the age
        ("age", 1, 2),
    ]


def test_a_formula_reads_another_policy_computed_first() -> None:
    city = talent_policy("city", LEVEL_AB, {"fixed": 300000})
    topup = talent_policy("topup", LEVEL_AB, {"formula": "0.2 * benefit.city"})
    results = evaluate([topup, city], values(level="A"))
    assert results["topup"].amount is not None
    assert results["topup"].amount.fen == 60000
    # Not met upstream: a top-up of nothing is nothing; unknown upstream: unknown.
    assert evaluate([topup, city], values(level="C"))["topup"].state == "not_met"
    free = talent_policy("topup", DOCTOR, {"formula": "0.2 * benefit.city"})
    unknown = evaluate([free, city], values(level=None, degree="doctor"))["topup"]
    assert unknown.amount is not None
    assert unknown.amount.fen is None
    assert unknown.missing == {"benefit.city"}


def test_exclusive_group_and_already_receiving() -> None:
    big = talent_policy("big", LEVEL_AB, {"fixed": 500}, group="settle")
    small = talent_policy("small", LEVEL_AB, {"fixed": 100}, group="settle")
    results = evaluate([big, small], values(level="A"), receiving=["big"])
    assert results["small"].superseded_by == "big"
    assert not results["small"].offered
    assert results["big"].already_receives
    assert not results["big"].offered


@pytest.mark.parametrize(
    ("definition", "word"),
    [
        ({"when": {"field_in": {"field": "salary", "values": ["x"]}}}, "salary"),
        ({"when": {"field_in": {"field": "level", "values": ["Z"]}}}, "Z"),
        ({"when": {"field_in": {"field": "age", "values": ["1"]}}}, "number"),
        ({"when": LEVEL_AB, "benefit": {"fixed": 1, "cap": 1, "floor": 2}}, "floor"),
        ({"when": LEVEL_AB, "benefit": {"formula": "benefit.p * 2"}}, "own benefit"),
        ({"when": LEVEL_AB, "tests": [{"values": {}, "expect": "maybe"}]}, "expect"),
        ({"when": LEVEL_AB, "extra": 1}, "extra"),
    ],
)
def test_bad_definitions_are_refused_with_the_reason(definition: Any, word: str) -> None:
    with pytest.raises(PolicyDefinitionError) as exc:
        compile_policy(definition, TALENT, code="p")
    assert word in " ".join(exc.value.problems)


def test_a_failing_case_is_reported() -> None:
    p = talent_policy(
        "p",
        LEVEL_AB,
        {"fixed": 100},
        tests=[
            {"name": "right", "values": {"level": "A"}, "expect": "met", "amount": 100},
            {"name": "wrong amount", "values": {"level": "A"}, "expect": "met", "amount": 99},
            {"name": "wrong state", "values": {"level": "C"}, "expect": "met"},
        ],
    )
    failures = run_tests(p)
    assert len(failures) == 2
    assert "wrong amount" in failures[0]
    assert "wrong state" in failures[1]
