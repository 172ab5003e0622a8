"""A child's school stage from its birth date: the 31 August cut-off, the stages and grades,
and for any child and day, one grade more each school year."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridlight.talent.family import Stage, school_stage, school_year_of


@pytest.mark.parametrize(
    ("born", "today", "stage", "grade"),
    [
        (date(2019, 8, 31), date(2025, 9, 1), Stage.PRIMARY, 1),  # six by 31 August: starts
        (date(2019, 9, 1), date(2025, 9, 1), Stage.KINDERGARTEN, None),  # a day late: next year
        (date(2019, 9, 1), date(2026, 9, 1), Stage.PRIMARY, 1),
        (date(2019, 8, 31), date(2025, 8, 31), Stage.KINDERGARTEN, None),  # summer before
        (date(2013, 5, 1), date(2025, 10, 1), Stage.JUNIOR, 7),
        (date(2010, 5, 1), date(2025, 10, 1), Stage.SENIOR, 10),
        (date(2007, 5, 1), date(2025, 10, 1), Stage.ADULT, None),
        (date(2024, 5, 1), date(2025, 10, 1), Stage.NURSERY, None),
        (date(2026, 5, 1), date(2025, 10, 1), Stage.UNBORN, None),
    ],
)
def test_stage_and_grade(born: date, today: date, stage: Stage, grade: int | None) -> None:
    found = school_stage(born, today)
    assert (found.stage, found.grade) == (stage, grade)


def test_a_kindergartener_knows_when_primary_school_starts() -> None:
    assert school_stage(date(2021, 3, 1), date(2025, 10, 1)).primary_from == date(2027, 9, 1)
    assert school_stage(date(2021, 9, 1), date(2025, 10, 1)).primary_from == date(2028, 9, 1)


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
)
def test_in_primary_school_one_grade_a_year(born: date, today: date) -> None:
    now = school_stage(born, today)
    later = school_stage(born, date(today.year + 1, today.month, min(today.day, 28)))
    assert school_year_of(today) == now.school_year
    if now.stage == Stage.PRIMARY and now.grade is not None and now.grade < 6:
        assert later.grade == now.grade + 1
    if now.stage == Stage.PRIMARY:
        assert now.primary_from is not None
        assert now.primary_from <= today
