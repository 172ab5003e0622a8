"""Working days: statutory holidays and 调休, the district's overrides, and a safe fallback for
years the calendar package does not know yet."""

from __future__ import annotations

from datetime import date

import pytest

from gridlight.core.models import WorkdayOverride
from gridlight.core.workdays import WorkCalendar, district_calendar


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
