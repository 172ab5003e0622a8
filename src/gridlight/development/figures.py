"""Indicator arithmetic as pure functions: periods, aggregation over periods, the formulas
(ratio, year-on-year, year-to-date, gap to the city), pro-rated targets, and contribution rate
and pull (贡献率 and 拉动).

Missing is missing: an aggregate or formula with a missing input is missing too, and says which
input it lacked — never a zero. Dividing by a series that is zero is an error with a clear
message, not an infinity. Arithmetic is exact (``Fraction``); results are rounded only for show,
so that the pulls of the parts of GDP add up to GDP's growth exactly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from gridlight.core.errors import DomainError

MONTH, QUARTER, YEAR = "month", "quarter", "year"
SUM, LAST, AVERAGE = "sum", "last", "average"


class ZeroSeries(DomainError):
    """A formula would divide by a series whose value is zero."""


# --- periods ----------------------------------------------------------------------------------


def period_start(day: date, period_type: str) -> date:
    """The first day of the period of ``period_type`` that ``day`` falls in."""
    if period_type == YEAR:
        return date(day.year, 1, 1)
    if period_type == QUARTER:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, day.month, 1)


def periods_to_date(period: date, period_type: str) -> list[date]:
    """The periods of ``period``'s year up to and including it (for year-to-date)."""
    step = {MONTH: 1, QUARTER: 3, YEAR: 12}[period_type]
    return [date(period.year, m, 1) for m in range(1, period.month + 1, step)]


def same_period_last_year(period: date) -> date:
    return date(period.year - 1, period.month, 1)


def period_label(period: date, period_type: str) -> str:
    if period_type == YEAR:
        return f"{period.year}"
    if period_type == QUARTER:
        return f"{period.year}Q{(period.month - 1) // 3 + 1}"
    return f"{period:%Y-%m}"


def months_in(period: date, period_type: str) -> int:
    """Months from the start of the year to the end of ``period``."""
    return {MONTH: period.month, QUARTER: period.month + 2, YEAR: 12}[period_type]


# --- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A computed number with what it was computed from (its provenance)."""

    value: Fraction | None
    inputs: tuple[tuple[str, Fraction | None], ...] = ()
    missing: tuple[str, ...] = field(default=())

    @property
    def is_missing(self) -> bool:
        return self.value is None

    def rounded(self, places: int = 2) -> Decimal | None:
        return rounded(self.value, places)


def rounded(value: Fraction | None, places: int = 2) -> Decimal | None:
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


Series = Mapping[date, Fraction]


def value_of(series: Series, period: date, label: str) -> Figure:
    v = series.get(period)
    return Figure(v, ((label, v),), () if v is not None else (label,))


def aggregate(series: Series, periods: Sequence[date], how: str, label: str) -> Figure:
    """``series`` over ``periods`` by ``how`` (sum, last or average); missing if any is."""
    values = [series.get(p) for p in periods]
    inputs = tuple((f"{label} {p:%Y-%m}", v) for p, v in zip(periods, values, strict=True))
    missing = tuple(name for name, v in inputs if v is None)
    if missing or not values:
        return Figure(None, inputs, missing or (label,))
    present = [v for v in values if v is not None]
    if how == SUM:
        result = sum(present, Fraction(0))
    elif how == LAST:
        result = present[-1]
    else:
        result = sum(present, Fraction(0)) / len(present)
    return Figure(result, inputs)


def _divide(numerator: Figure, denominator: Figure, what: str) -> Figure:
    inputs = numerator.inputs + denominator.inputs
    missing = numerator.missing + denominator.missing
    if numerator.value is None or denominator.value is None:
        return Figure(None, inputs, missing)
    if denominator.value == 0:
        raise ZeroSeries(
            _("%(what)s divides by a series that is zero: %(inputs)s")
            % {
                "what": what,
                "inputs": ", ".join(name for name, _v in denominator.inputs),
            }
        )
    return Figure(numerator.value / denominator.value, inputs)


def ratio(numerator: Figure, denominator: Figure, factor: Fraction, what: str) -> Figure:
    """numerator ÷ denominator × factor (DHIS2's indicator)."""
    q = _divide(numerator, denominator, what)
    return Figure(q.value * factor if q.value is not None else None, q.inputs, q.missing)


def growth(current: Figure, previous: Figure, what: str) -> Figure:
    """Growth on the same period last year, in percent."""
    q = _divide(current, previous, what)
    return Figure((q.value - 1) * 100 if q.value is not None else None, q.inputs, q.missing)


def difference(first: Figure, second: Figure) -> Figure:
    inputs = first.inputs + second.inputs
    if first.value is None or second.value is None:
        return Figure(None, inputs, first.missing + second.missing)
    return Figure(first.value - second.value, inputs)


def prorated_target(annual: Fraction | None, period: date, period_type: str, how: str) -> Figure:
    """The annual target's share due by the end of ``period``: a flow (summed) element's target
    grows with the months passed, a stock's or a rate's is the annual value throughout."""
    if annual is None:
        return Figure(None, (), (_("annual target"),))
    if how != SUM:
        return Figure(annual, ((_("annual target"), annual),))
    share = Fraction(months_in(period, period_type), 12)
    return Figure(annual * share, ((_("annual target"), annual),))


# --- contribution rate and pull -----------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    name: str
    current: Fraction
    previous: Fraction
    increment: Fraction
    rate: Fraction | None  # share of GDP's increment (贡献率), None when GDP did not change
    pull: Fraction  # points of GDP growth (拉动)


def contributions(
    parts: Mapping[str, tuple[Fraction, Fraction]],
    total: tuple[Fraction, Fraction],
    rest: str,
) -> tuple[Fraction, list[Contribution]]:
    """GDP's growth and each part's contribution rate and pull, from (current, previous) pairs.

    contribution rate = part's increment ÷ GDP's increment; pull = GDP growth × contribution rate
    = part's increment ÷ last year's GDP × 100. What the named parts leave of GDP is the part
    ``rest``, so the pulls always add up to GDP's growth — also when a share is above 100% or
    below zero. GDP's previous value must not be zero."""
    current_total, previous_total = total
    if previous_total == 0:
        raise ZeroSeries(_("Growth divides by last year's GDP, which is zero."))
    growth_pct = (current_total - previous_total) / previous_total * 100
    increment_total = current_total - previous_total
    rows = dict(parts)
    rows[rest] = (
        current_total - sum((c for c, _p in parts.values()), Fraction(0)),
        previous_total - sum((p for _c, p in parts.values()), Fraction(0)),
    )
    result = []
    for name, (current, previous) in rows.items():
        increment = current - previous
        rate = increment / increment_total if increment_total else None
        result.append(
            Contribution(
                name=name,
                current=current,
                previous=previous,
                increment=increment,
                rate=rate,
                pull=increment / previous_total * 100,
            )
        )
    return growth_pct, result
