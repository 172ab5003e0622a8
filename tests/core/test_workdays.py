"""Working days: statutory holidays and 调休, the district's overrides, and a safe fallback for
years the calendar package does not know yet."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridlight.core.models import WorkdayOverride
from gridlight.core.workdays import (
    LABOUR_DAY,
    MID_AUTUMN,
    NATIONAL_DAY,
    NEW_YEAR,
    SPRING_FESTIVAL,
    WorkCalendar,
    district_calendar,
    package_covers,
    statutory_holidays,
)


def test_statutory_holidays_and_make_up_days() -> None:
    cal = WorkCalendar()
    assert not cal.is_workday(date(2025, 10, 3))  # National Day holiday
    assert cal.is_workday(date(2025, 9, 28))  # a Sunday worked in exchange (调休)
    assert not cal.is_workday(date(2025, 10, 4))  # a Saturday inside the holiday


def test_deadline_in_working_days_skips_the_national_day_holiday() -> None:
    cal = WorkCalendar()
    # Submitted on Tuesday 30 September 2025; 1–8 October are off; 5 working days later is
    # Tuesday 14 October (9, 10, 11 (make-up Saturday), 13, 14).
    assert cal.add_workdays(date(2025, 9, 30), 5) == date(2025, 10, 14)
    assert cal.workdays_between(date(2025, 9, 30), date(2025, 10, 14)) == 5
    assert cal.add_workdays(date(2025, 9, 30), 0) == date(2025, 9, 30)
    with pytest.raises(ValueError, match="negative"):
        cal.add_workdays(date(2025, 9, 30), -1)


def test_uncovered_year_falls_back_to_weekends_with_a_warning() -> None:
    cal = WorkCalendar()
    assert not cal.covers(2099)
    assert cal.add_workdays(date(2099, 1, 2), 1) == date(2099, 1, 5)  # Friday → Monday
    assert cal.warnings() == [2099]
    assert cal.covers(2025)


@pytest.mark.django_db
def test_district_overrides_win() -> None:
    WorkdayOverride.objects.create(day=date(2099, 1, 5), is_workday=False, note="区级调整")
    WorkdayOverride.objects.create(day=date(2025, 10, 3), is_workday=True, note="值班")
    cal = district_calendar()
    assert cal.add_workdays(date(2099, 1, 2), 1) == date(2099, 1, 6)
    assert cal.is_workday(date(2025, 10, 3))


# --- the statutory holidays of the regulation, for years the package does not know ------------

KNOWN_YEARS = range(2004, 2027)


def _package_holiday_names(year: int) -> set[str]:
    names = set()
    day = date(year, 1, 1)
    while day.year == year:
        _off, name = chinese_calendar.get_holiday_detail(day)
        if name:
            names.add(name)
        day = date.fromordinal(day.toordinal() + 1)
    return names


@pytest.mark.parametrize("year", KNOWN_YEARS)
def test_computed_statutory_days_are_the_packages_holidays_in_every_year_it_knows(
    year: int,
) -> None:
    """The regulation in force each year (1999, 2008, 2014 and 2025 versions), computed from the
    lunar calendar and the Qingming solar term, against the State Council notices the package
    holds: each computed day is a day off there, under the same holiday's name."""
    assert package_covers(year)
    computed = statutory_holidays(year)
    assert computed
    for day, name in computed.items():
        off, package_name = chinese_calendar.get_holiday_detail(day)
        assert off, (day, name)
        # Where two holidays fall on one day (Mid-Autumn on 1 October 2020) the package names
        # one of them; a Saturday inside a holiday is sometimes left unnamed (2012-06-23).
        assert package_name in (name, None) or (day.month, day.day) == (10, 1), (day, name)
    # And every holiday the package names comes from the regulation, except the one-off
    # commemoration of 3 September 2015.
    assert _package_holiday_names(year) - set(computed.values()) <= {"Anti-Fascist 70th Day"}


def test_each_version_of_the_regulation_counts_its_own_days() -> None:
    def days_of(year: int, name: str) -> int:
        return sum(1 for n in statutory_holidays(year).values() if n == name)

    # 2025 on (国务院令第795号): Spring Festival 4 days from New Year's Eve, Labour Day 2 days.
    assert days_of(2027, SPRING_FESTIVAL) == 4
    assert days_of(2027, LABOUR_DAY) == 2
    assert days_of(2024, SPRING_FESTIVAL) == 3
    assert days_of(2024, LABOUR_DAY) == 1
    assert days_of(2007, LABOUR_DAY) == 3
    assert days_of(2027, NATIONAL_DAY) == 3
    assert days_of(2027, NEW_YEAR) == 1
    assert len(statutory_holidays(2027)) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3
    # 2027's lunar new year is 6 February (正月初一), so New Year's Eve is the 5th.
    spring = sorted(d for d, n in statutory_holidays(2027).items() if n == SPRING_FESTIVAL)
    assert spring == [date(2027, 2, d) for d in (5, 6, 7, 8)]
    # Outside the lunar tables nothing is computed (and weekends alone count).
    assert statutory_holidays(2100) == {}


def test_new_years_day_2027_is_a_day_off_though_the_package_does_not_know_2027() -> None:
    cal = WorkCalendar()
    assert not package_covers(2027)
    assert not cal.is_workday(date(2027, 1, 1))  # a Friday
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert not cal.is_workday(date(2027, 10, 1))
    mid_autumn = next(d for d, n in statutory_holidays(2027).items() if n == MID_AUTUMN)
    assert not cal.is_workday(mid_autumn)
    assert cal.warnings() == [2027]  # its make-up days are still unknown
    assert not cal.covers(2027)


@pytest.mark.django_db
def test_an_entered_notice_makes_its_year_known() -> None:
    from django.utils import timezone

    from gridlight.core.models import CalendarNotice

    CalendarNotice.objects.create(
        year=2027, document="国办发明电〔2026〕1号", entered_at=timezone.now()
    )
    cal = district_calendar()
    cal.is_workday(date(2027, 3, 1))
    assert cal.covers(2027)
    assert cal.warnings() == []


# --- working-day arithmetic, as properties ------------------------------------------------------

# Days from years the package knows and years it does not (computed by the regulation).
days = st.dates(min_value=date(2004, 1, 1), max_value=date(2060, 12, 31))
counts = st.integers(min_value=0, max_value=40)
CAL = WorkCalendar()


@settings(max_examples=150, deadline=None)
@given(start=days, n=counts)
def test_adding_n_working_days_then_counting_them_gives_n(start: date, n: int) -> None:
    end = CAL.add_workdays(start, n)
    assert CAL.workdays_between(start, end) == n
    assert end >= start


@settings(max_examples=150, deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=40))
def test_a_deadline_never_lands_on_a_holiday_or_a_plain_weekend(start: date, n: int) -> None:
    end = CAL.add_workdays(start, n)
    assert CAL.is_workday(end)
    assert end not in statutory_holidays(end.year)
    if end.weekday() >= 5:  # a weekend worked: only a make-up day the package knows
        assert package_covers(end.year)
        assert chinese_calendar.is_workday(end)


@settings(max_examples=150, deadline=None)
@given(start=days, n=counts)
def test_counting_back_from_a_deadline_returns_to_a_working_start(start: date, n: int) -> None:
    if not CAL.is_workday(start):
        start = CAL.add_workdays(start, 1)
    assert CAL.subtract_workdays(CAL.add_workdays(start, n), n) == start


@settings(max_examples=60, deadline=None)
@given(year=st.integers(min_value=2027, max_value=2099), offset=st.integers(0, 364))
def test_in_an_uncovered_year_only_weekends_and_statutory_days_are_off(
    year: int, offset: int
) -> None:
    day = date.fromordinal(date(year, 1, 1).toordinal() + offset)
    expected = day.weekday() < 5 and day not in statutory_holidays(day.year)
    assert WorkCalendar().is_workday(day) is expected
