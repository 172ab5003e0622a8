"""CEL expressions: what compile_cel refuses, and evaluate_cel's true / false / unknown."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from gridlight.rules.cel import CelError, FieldType, compile_cel, evaluate_cel

FIELDS: dict[str, FieldType] = {
    "age": "int",
    "living_alone": "bool",
    "name": "string",
    "income": "double",
    "birth_date": "date",
    "tags": "list_string",
}

ELDER: dict[str, object] = {
    "age": 84,
    "living_alone": True,
    "name": "Wang",
    "income": 1200.5,
    "birth_date": date(1941, 3, 2),
    "tags": ["dibao", "empty_nest", "disabled"],
}
YOUNG: dict[str, object] = {
    "age": 35,
    "living_alone": False,
    "name": "age",
    "income": 8000.0,
    "birth_date": date(1990, 7, 1),
    "tags": ["x"],
}


# Messages are compared in English, the source language.
pytestmark = pytest.mark.usefixtures("english")


def check(source: str, values: dict[str, object], **kwargs: date) -> bool | None:
    return evaluate_cel(compile_cel(source, FIELDS), values, **kwargs)


@pytest.mark.parametrize(
    ("source", "elder", "young"),
    [
        ("age >= 80 && living_alone", True, False),
        ('"dibao" in tags', True, False),
        ("size(tags) > 2", True, False),
        ("tags.size() == 1", False, True),
        ('name == "age"', False, True),
        ('name.startsWith("Wa") || !living_alone', True, True),
        ("income < 2000.0", True, False),
        ("income < 2000", True, False),  # CEL compares int with double
        ('tags.exists(t, t == "x")', False, True),
        ('tags.all(t, t != "x")', True, False),
        ('tags.filter(t, t.endsWith("_nest")).size() == 1', True, False),
        ('birth_date < timestamp("1945-01-01T00:00:00Z")', True, False),
        ("// a comment\nage > 40 // another\n", True, False),
    ],
)
def test_true_and_false(source: str, elder: bool, young: bool) -> None:
    assert check(source, ELDER) is elder
    assert check(source, YOUNG) is young


def test_today_is_a_timestamp_at_midnight_utc_like_date_fields() -> None:
    on = date(2025, 3, 2)
    assert check("today.getFullYear() - birth_date.getFullYear() == 84", ELDER, today=on)
    # 84 years to the day, leap days included, is exactly 30,681 days.
    assert check('today - birth_date == duration("736344h")', ELDER, today=on)
    assert check("today.getMonth() == 2 && today.getDate() == 2", {}, today=on)
    compiled = compile_cel("today > birth_date", FIELDS)
    assert compiled.uses_today
    assert compiled.fields == frozenset({"birth_date"})
    assert evaluate_cel(compiled, {"birth_date": date(1990, 1, 1)}) is True  # default: today


def test_date_fields_take_dates_datetimes_and_iso_strings() -> None:
    compiled = compile_cel('birth_date == timestamp("1941-03-02T00:00:00Z")', FIELDS)
    assert evaluate_cel(compiled, {"birth_date": date(1941, 3, 2)}) is True
    assert evaluate_cel(compiled, {"birth_date": datetime(1941, 3, 2, 15, 30)}) is True
    assert evaluate_cel(compiled, {"birth_date": "1941-03-02"}) is True
    with pytest.raises(CelError, match="birth_date"):
        evaluate_cel(compiled, {"birth_date": "last spring"})


def test_values_are_converted_to_what_cel_accepts() -> None:
    assert check('"dibao" in tags', {"tags": {"dibao", "x"}}) is True
    assert check('"dibao" in tags', {"tags": frozenset()}) is False
    assert check("income + 1.0 > 3.0", {"income": 5}) is True
    assert check("income + 1.0 > 3.0", {"income": Decimal("1.5")}) is False


def test_missing_or_none_value_is_unknown() -> None:
    source = "age >= 80 && living_alone"
    assert check(source, {"age": 84}) is None
    assert check(source, {"age": 84, "living_alone": None}) is None
    # Even where CEL would short-circuit: the rule reads a field it was not given.
    assert check(source, {"age": 20, "living_alone": None}) is None
    # Fields the expression does not read do not matter.
    assert check(source, {"age": 84, "living_alone": True, "name": None}) is True


def test_fields_are_those_read() -> None:
    compiled = compile_cel('age >= 80 && "dibao" in tags', FIELDS)
    assert compiled.fields == frozenset({"age", "tags"})
    assert not compiled.uses_today


def test_a_word_in_a_string_literal_is_not_a_field() -> None:
    assert compile_cel('name == "age"', FIELDS).fields == frozenset({"name"})
    assert compile_cel("name == 'nobody' || name == r\"x\\\"", FIELDS).fields == {"name"}
    assert compile_cel('name == """tags.exists(q, q)"""', FIELDS).fields == {"name"}


def test_macro_variables_are_not_fields() -> None:
    source = 'tags.exists(t, t == "x") && tags.all(u, tags.exists(v, v != u))'
    compiled = compile_cel(source, FIELDS)
    assert compiled.fields == frozenset({"tags"})
    # A macro variable that shadows a field does not read the field...
    assert compile_cel('tags.exists(age, age == "x")', FIELDS).fields == {"tags"}
    # ...but the same name outside the macro does.
    assert compile_cel('tags.exists(age, age == "x") || age > 3', FIELDS).fields == {"age", "tags"}


def test_a_macro_variable_used_outside_its_macro_is_unknown() -> None:
    with pytest.raises(CelError) as caught:
        compile_cel('tags.exists(t, t == "a") && t == "b"', FIELDS)
    assert caught.value.message.startswith("unknown field: t;")


def test_unknown_field_is_named_with_the_known_ones() -> None:
    with pytest.raises(CelError) as caught:
        compile_cel("agee >= 80", FIELDS)
    assert caught.value.message == (
        "unknown field: agee; known fields: "
        "age, birth_date, income, living_alone, name, tags, today"
    )
    with pytest.raises(CelError, match="unknown fields: xyz, zzz;"):
        compile_cel("xyz && zzz.a > 1", FIELDS)


@pytest.mark.parametrize("source", ["", "   \n"])
def test_empty_expression_is_refused(source: str) -> None:
    with pytest.raises(CelError, match="empty"):
        compile_cel(source, FIELDS)


@pytest.mark.parametrize("source", ["age >=", "age >= 80 &&& living_alone", '"unclosed', "a b"])
def test_syntax_error_is_refused_with_the_parsers_message(source: str) -> None:
    with pytest.raises(CelError) as caught:
        compile_cel(source, FIELDS)
    assert "Syntax error" in caught.value.message
    assert "cannot be parsed" in caught.value.message


@pytest.mark.parametrize("source", ["age + 1", "name", "tags", "null", "birth_date", "[true]"])
def test_non_boolean_is_refused_at_compile_time(source: str) -> None:
    with pytest.raises(CelError, match="true or false"):
        compile_cel(source, FIELDS)


def test_non_boolean_on_an_untried_branch_is_refused_at_evaluation() -> None:
    compiled = compile_cel('age > 50 ? "old" : false', FIELDS)
    assert evaluate_cel(compiled, {"age": 20}) is False
    with pytest.raises(CelError, match="type string"):
        evaluate_cel(compiled, {"age": 60})


@pytest.mark.parametrize(
    "source", ['age > "80"', "living_alone && age", "income + 1 > 2.0", "tags.exists(t, t > 1)"]
)
def test_type_errors_are_refused_at_compile_time(source: str) -> None:
    with pytest.raises(CelError, match=r"No such overload|Unsupported operation"):
        compile_cel(source, FIELDS)


def test_unknown_function_is_refused() -> None:
    with pytest.raises(CelError, match="foo"):
        compile_cel("foo(age) > 1", FIELDS)


def test_evaluation_failure_raises() -> None:
    compiled = compile_cel("100 / age > 1", FIELDS)  # fine at compile time
    assert evaluate_cel(compiled, {"age": 20}) is True
    with pytest.raises(CelError, match="cannot be evaluated"):
        evaluate_cel(compiled, {"age": 0})
    with pytest.raises(CelError, match="cannot be evaluated"):
        evaluate_cel(compile_cel("age >= 80", FIELDS), {"age": "84"})


def test_today_cannot_be_a_field() -> None:
    with pytest.raises(ValueError, match="reserved"):
        compile_cel("today", {"today": "date"})


def test_compiled_expressions_are_cached_and_hashable() -> None:
    first = compile_cel("age >= 80", FIELDS)
    assert compile_cel("age >= 80", dict(reversed(FIELDS.items()))) is first
    assert {first: 1}[first] == 1
    assert "program" not in repr(first)
