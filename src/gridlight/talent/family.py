"""A child's school stage, computed from the birth date: pure, so the pages, the API and the
policies (school-enrolment help is the talents' most common problem) read the same answer.

China's school year starts on 1 September, and a child starts primary school in the September
after turning six by 31 August. So the stage follows from the child's age on the 31 August that
opens the current school year: under 3 nursery, 3-5 kindergarten, 6-11 primary (grades 1-6),
12-14 junior secondary (grades 7-9), 15-17 senior secondary (grades 10-12), then grown up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from gridlight.core.idcard import age_on


class Stage(StrEnum):
    UNBORN = "unborn"
    NURSERY = "nursery"
    KINDERGARTEN = "kindergarten"
    PRIMARY = "primary"
    JUNIOR = "junior"
    SENIOR = "senior"
    ADULT = "adult"


LABELS = {
    Stage.UNBORN: _("not born yet"),
    Stage.NURSERY: _("nursery age"),
    Stage.KINDERGARTEN: _("kindergarten"),
    Stage.PRIMARY: _("primary school"),
    Stage.JUNIOR: _("junior secondary school"),
    Stage.SENIOR: _("senior secondary school"),
    Stage.ADULT: _("grown up"),
}

# (school age from, stage, grade of that age): school age is the age on 31 August.
_BANDS = (
    (18, Stage.ADULT, 0),
    (15, Stage.SENIOR, 10),
    (12, Stage.JUNIOR, 7),
    (6, Stage.PRIMARY, 1),
    (3, Stage.KINDERGARTEN, 0),
    (0, Stage.NURSERY, 0),
)


@dataclass(frozen=True, slots=True)
class SchoolStage:
    age: int | None  # whole years on the day asked about (None: not born yet)
    stage: Stage
    grade: int | None  # 1-12 in school, else None
    school_year: int  # the year the current school year began
    primary_from: date | None  # the 1 September the child starts (or started) primary school

    @property
    def label(self) -> str:
        return str(LABELS[self.stage])


def school_year_of(day: date) -> int:
    """The year the school year containing ``day`` began (it begins on 1 September)."""
    return day.year if day.month >= 9 else day.year - 1


def school_stage(birth_date: date, today: date) -> SchoolStage:
    """Where a child born on ``birth_date`` is in school on ``today``."""
    year = school_year_of(today)
    # The first 31 August by which the child is six opens its first primary year.
    late = (birth_date.month, birth_date.day) > (8, 31)
    primary_from = date(birth_date.year + 6 + late, 9, 1)
    if birth_date > today:
        return SchoolStage(None, Stage.UNBORN, None, year, primary_from)
    school_age = age_on(birth_date, date(year, 8, 31))
    stage, grade = Stage.NURSERY, None
    for start, band, first_grade in _BANDS:
        if school_age >= start:
            stage = band
            grade = first_grade + school_age - start if first_grade else None
            break
    return SchoolStage(age_on(birth_date, today), stage, grade, year, primary_from)


# Compulsory schooling (九年义务教育): primary and junior secondary school, grades 1 to 9.
COMPULSORY = frozenset({Stage.PRIMARY, Stage.JUNIOR})


def in_compulsory_school(birth_date: date, today: date) -> bool:
    """Whether a child born on ``birth_date`` is of compulsory school age (grades 1-9) in the
    school year of ``today``: the one definition of "school age" (the pages' stages, the
    policies' ``school_age_children``)."""
    return school_stage(birth_date, today).stage in COMPULSORY


def compulsory_born(today: date) -> tuple[date, date]:
    """The birth dates of the children :func:`in_compulsory_school` on ``today``, for SQL:
    born after the first date and on or before the second (school age 6 to 14 on the 31 August
    that opened the school year)."""
    opened = date(school_year_of(today), 8, 31)
    return _years_before(opened, 15), _years_before(opened, 6)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
