"""Working days in mainland China: statutory holidays and make-up working days (调休) from the
``chinesecalendar`` package, the district's own overrides on top, and — for years the package
does not cover yet — the statutory holidays computed from the national regulation itself, with
a warning, never a failure, that that year's make-up days are not known.

Deadlines ("handle within 5 working days") are counted with :meth:`WorkCalendar.add_workdays`.
See docs/calendar.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar
from lunardate import LunarDate

# The holidays of 《全国年节及纪念日放假办法》, by the names chinesecalendar gives them.
NEW_YEAR = "New Year's Day"
SPRING_FESTIVAL = "Spring Festival"
TOMB_SWEEPING = "Tomb-sweeping Day"
LABOUR_DAY = "Labour Day"
DRAGON_BOAT = "Dragon Boat Festival"
MID_AUTUMN = "Mid-autumn Festival"
NATIONAL_DAY = "National Day"

# The lunar calendar library knows the lunar years 1900–2099.
LUNAR_YEARS = (1900, 2099)

Rule = Callable[[int], list[date]]


def _fixed(month: int, *days: int) -> Rule:
    return lambda year: [date(year, month, d) for d in days]


def _lunar(month: int, day: int) -> Rule:
    return lambda year: [LunarDate(year, month, day).to_solar_date()]


def _spring(first: int, last: int) -> Rule:
    """Days ``first``..``last`` of the first lunar month; day 0 is New Year's Eve (除夕), the
    last day of the twelfth month, whether it is the 29th or the 30th."""

    def days(year: int) -> list[date]:
        new_year = LunarDate(year, 1, 1).to_solar_date()
        return [new_year + timedelta(days=n - 1) for n in range(first, last + 1)]

    return days


def _qingming(year: int) -> list[date]:
    """The day of the Qingming solar term (清明节气当日)."""
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
    return [day for day, name in terms if name == "清明"]


# The regulation's versions, each with the first year it governs whole:
# 1999 (国务院令第270号), 2007 (第513号, from 2008), 2013 (第644号, from 2014) and
# 2024 (第795号, from 2025): 春节 4 days (除夕 and 正月初一至初三), 劳动节 2 days (1–2 May).
REGULATIONS: list[tuple[int, dict[str, Rule]]] = [
    (
        2000,
        {
            NEW_YEAR: _fixed(1, 1),
            SPRING_FESTIVAL: _spring(1, 3),
            LABOUR_DAY: _fixed(5, 1, 2, 3),
            NATIONAL_DAY: _fixed(10, 1, 2, 3),
        },
    ),
    (
        2008,
        {
            NEW_YEAR: _fixed(1, 1),
            SPRING_FESTIVAL: _spring(0, 2),
            TOMB_SWEEPING: _qingming,
            LABOUR_DAY: _fixed(5, 1),
            DRAGON_BOAT: _lunar(5, 5),
            MID_AUTUMN: _lunar(8, 15),
            NATIONAL_DAY: _fixed(10, 1, 2, 3),
        },
    ),
    (
        2014,
        {
            NEW_YEAR: _fixed(1, 1),
            SPRING_FESTIVAL: _spring(1, 3),
            TOMB_SWEEPING: _qingming,
            LABOUR_DAY: _fixed(5, 1),
            DRAGON_BOAT: _lunar(5, 5),
            MID_AUTUMN: _lunar(8, 15),
            NATIONAL_DAY: _fixed(10, 1, 2, 3),
        },
    ),
    (
        2025,
        {
            NEW_YEAR: _fixed(1, 1),
            SPRING_FESTIVAL: _spring(0, 3),
            TOMB_SWEEPING: _qingming,
            LABOUR_DAY: _fixed(5, 1, 2),
            DRAGON_BOAT: _lunar(5, 5),
            MID_AUTUMN: _lunar(8, 15),
            NATIONAL_DAY: _fixed(10, 1, 2, 3),
        },
    ),
]


def statutory_holidays(year: int) -> dict[date, str]:
    """The days off that the regulation in force in ``year`` fixes itself, with the holiday's
    name: New Year's Day, the Spring Festival (lunar), Qingming (the solar term), Labour Day,
    the Dragon Boat and Mid-Autumn festivals (lunar) and National Day. Not the days the State
    Council's yearly notice adds or moves (weekdays off in lieu, make-up working days), which
    no rule can know. Empty outside the years the regulations and the lunar tables cover."""
    if not LUNAR_YEARS[0] <= year <= LUNAR_YEARS[1]:
        return {}
    rules = next((r for first, r in reversed(REGULATIONS) if year >= first), None)
    if rules is None:
        return {}
    found: dict[date, str] = {}
    for name, rule in rules.items():
        for day in rule(year):
            if day.year == year:
                found.setdefault(day, name)
    return found


def package_covers(year: int) -> bool:
    """Whether the ``chinesecalendar`` package knows ``year`` (holidays and make-up days)."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@dataclass
class WorkCalendar:
    """``overrides`` maps a day to whether it is a working day; it wins over everything else.
    ``announced`` are the years whose State Council notice the district has entered (as
    overrides): their make-up days are known even where the package does not know them."""

    overrides: dict[date, bool] = field(default_factory=dict)
    # Years asked about that the package does not cover: answered by the regulation's
    # statutory holidays, weekends and overrides.
    uncovered_years: set[int] = field(default_factory=set)
    announced: set[int] = field(default_factory=set)
    _statutory: dict[int, dict[date, str]] = field(default_factory=dict, repr=False)

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            pass
        self.uncovered_years.add(day.year)
        if day in self.statutory(day.year):
            return False
        return day.weekday() < 5

    def statutory(self, year: int) -> dict[date, str]:
        """:func:`statutory_holidays` of ``year``, computed once per calendar."""
        if year not in self._statutory:
            self._statutory[year] = statutory_holidays(year)
        return self._statutory[year]

    def covers(self, year: int) -> bool:
        """Whether every day off and make-up day of ``year`` is known: the package knows the
        year, or the district has entered its State Council notice. Otherwise the statutory
        holidays come from the regulation and make-up days are missing."""
        return year in self.announced or package_covers(year)

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
        """Years asked about whose make-up days are not known (see :meth:`covers`)."""
        return sorted(y for y in self.uncovered_years if y not in self.announced)


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def district_calendar() -> WorkCalendar:
    """The calendar with the district's overrides and entered notices from the database."""
    from gridlight.core.models import CalendarNotice, WorkdayOverride

    return WorkCalendar(
        dict(WorkdayOverride.objects.values_list("day", "is_workday")),
        announced=set(CalendarNotice.objects.values_list("year", flat=True)),
    )


def holiday_label(name: str) -> str:
    """The holiday's name in the user's language."""
    from django.utils.translation import gettext

    labels = {
        NEW_YEAR: gettext("New Year's Day"),
        SPRING_FESTIVAL: gettext("Spring Festival"),
        TOMB_SWEEPING: gettext("Tomb-sweeping Day"),
        LABOUR_DAY: gettext("Labour Day"),
        DRAGON_BOAT: gettext("Dragon Boat Festival"),
        MID_AUTUMN: gettext("Mid-autumn Festival"),
        NATIONAL_DAY: gettext("National Day"),
    }
    return labels.get(name, name)
