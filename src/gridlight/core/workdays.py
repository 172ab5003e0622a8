"""Working days in mainland China: statutory holidays and make-up working days (调休) from the
``chinesecalendar`` package, the district's own overrides on top, and weekends alone — with a
warning, never a failure — for years the package does not cover yet.

Deadlines ("handle within 5 working days") are counted with :meth:`WorkCalendar.add_workdays`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar


@dataclass
class WorkCalendar:
    """``overrides`` maps a day to whether it is a working day; it wins over everything else."""

    overrides: dict[date, bool] = field(default_factory=dict)
    # Years asked about that the package does not cover: answered by weekends and overrides.
    uncovered_years: set[int] = field(default_factory=set)

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self.uncovered_years.add(day.year)
            return day.weekday() < 5

    def covers(self, year: int) -> bool:
        """Whether statutory holidays of ``year`` are known (else only weekends count)."""
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def add_workdays(self, start: date, count: int) -> date:
        """The day ``count`` working days after ``start`` (``start`` itself not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        left = count
        while left:
            day += timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def subtract_workdays(self, start: date, count: int) -> date:
        """The day ``count`` working days before ``start`` (``start`` itself not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        left = count
        while left:
            day -= timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if ``end`` ≤ ``start``)."""
        return sum(1 for d in _days(start + timedelta(days=1), end) if self.is_workday(d))

    def warnings(self) -> list[int]:
        return sorted(self.uncovered_years)


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def district_calendar() -> WorkCalendar:
    """The calendar with the district's overrides from the database."""
    from gridlight.core.models import WorkdayOverride

    return WorkCalendar(dict(WorkdayOverride.objects.values_list("day", "is_workday")))
