"""Reads for indicators: approved series, an element's figures for a period (value, year to
date, growth, target completion), an indicator's value with its inputs, and the contribution
and pull of GDP's parts. Only approved values count; a missing input makes the figure missing
and names what is missing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gridlight.core.access import Viewer
from gridlight.core.models import Region
from gridlight.development import figures
from gridlight.development.access import value_scope
from gridlight.development.models import (
    DataElement,
    DataValue,
    FormulaKind,
    Indicator,
    Target,
    ValueStatus,
)

SeriesMap = dict[int, dict[date, Fraction]]


def regions_for_figures(user: Viewer) -> QuerySet[Region]:
    """The regions whose figures the user may read (district and streets)."""
    return Region.objects.filter(value_scope(user).q("path"), level__lte=1)


def series(elements: Iterable[DataElement], region: Region, years: Sequence[int]) -> SeriesMap:
    """Approved values of ``elements`` in ``region`` for ``years``, by element and period, in
    one query."""
    ids = [e.pk for e in elements]
    out: SeriesMap = defaultdict(dict)
    rows = DataValue.objects.filter(
        element_id__in=ids,
        region=region,
        status=ValueStatus.APPROVED,
        period__gte=date(min(years), 1, 1),
        period__lte=date(max(years), 12, 31),
    ).values_list("element_id", "period", "value")
    for element_id, period, value in rows:
        out[element_id][period] = Fraction(value)
    return out


def full_series(element: DataElement, region: Region) -> dict[date, Fraction]:
    rows = DataValue.objects.filter(
        element=element, region=region, status=ValueStatus.APPROVED
    ).values_list("period", "value")
    return {period: Fraction(value) for period, value in rows}


@dataclass(frozen=True)
class ElementFigures:
    element: DataElement
    period: date
    value: figures.Figure
    growth: figures.Figure  # on the same period last year, %
    to_date: figures.Figure  # year to date by the element's aggregation
    to_date_growth: figures.Figure
    target: figures.Figure  # the annual target pro-rated to the end of the period
    completion: figures.Figure  # year to date ÷ pro-rated target, %


def _safe(compute: Any) -> figures.Figure:
    """A growth or completion whose base is zero is shown as missing with the reason."""
    try:
        result: figures.Figure = compute()
    except figures.ZeroSeries as exc:
        return figures.Figure(None, (), (exc.message,))
    return result


def element_figures(element: DataElement, region: Region, period: date) -> ElementFigures:
    data = series([element], region, [period.year - 1, period.year]).get(element.pk, {})
    label = element.name
    last_year = figures.same_period_last_year(period)
    value = figures.value_of(data, period, label)
    previous = figures.value_of(data, last_year, label)
    how, kind = element.aggregation, element.period_type
    to_date = figures.aggregate(data, figures.periods_to_date(period, kind), how, label)
    to_date_before = figures.aggregate(data, figures.periods_to_date(last_year, kind), how, label)
    annual = (
        Target.objects.filter(element=element, region=region, year=period.year)
        .values_list("value", flat=True)
        .first()
    )
    target = figures.prorated_target(
        Fraction(annual) if annual is not None else None, period, kind, how
    )
    return ElementFigures(
        element=element,
        period=period,
        value=value,
        growth=_safe(lambda: figures.growth(value, previous, label)),
        to_date=to_date,
        to_date_growth=_safe(lambda: figures.growth(to_date, to_date_before, label)),
        target=target,
        completion=_safe(
            lambda: figures.ratio(to_date, target, Fraction(100), _("Target completion"))
        ),
    )


def indicator_figure(indicator: Indicator, region: Region, period: date) -> figures.Figure:
    """The indicator's value for ``period`` with its inputs. Raises ``figures.ZeroSeries``
    when it would divide by a zero series."""
    num = indicator.numerator
    den = indicator.denominator
    elements = [num] + ([den] if den is not None else [])
    data = series(elements, region, [period.year - 1, period.year])
    n = data.get(num.pk, {})
    last_year = figures.same_period_last_year(period)
    if indicator.kind == FormulaKind.RATIO:
        assert den is not None
        return figures.ratio(
            figures.value_of(n, period, num.name),
            figures.value_of(data.get(den.pk, {}), period, den.name),
            Fraction(indicator.factor),
            indicator.name,
        )
    if indicator.kind == FormulaKind.YOY:
        return figures.growth(
            figures.value_of(n, period, num.name),
            figures.value_of(n, last_year, num.name),
            indicator.name,
        )
    if indicator.kind == FormulaKind.YTD:
        return figures.aggregate(
            n,
            figures.periods_to_date(period, num.period_type),
            num.aggregation,
            num.name,
        )
    assert den is not None
    c = data.get(den.pk, {})
    return figures.difference(
        figures.growth(
            figures.value_of(n, period, num.name),
            figures.value_of(n, last_year, num.name),
            num.name,
        ),
        figures.growth(
            figures.value_of(c, period, den.name),
            figures.value_of(c, last_year, den.name),
            den.name,
        ),
    )


@dataclass(frozen=True)
class ContributionTable:
    period: date
    growth: Fraction | None  # GDP growth, %; None when an input is missing
    rows: list[figures.Contribution]
    missing: tuple[str, ...]


def contribution_table(
    total: DataElement, parts: Sequence[DataElement], region: Region, period: date
) -> ContributionTable:
    """Each part's contribution rate and pull to ``total``'s growth in ``period`` (the parts'
    remainder is its own row, so the pulls add up to the growth). Missing inputs are named and
    nothing is computed."""
    data = series([total, *parts], region, [period.year - 1, period.year])
    last_year = figures.same_period_last_year(period)
    missing = []
    pairs: dict[str, tuple[Fraction, Fraction]] = {}
    for element in [total, *parts]:
        values = data.get(element.pk, {})
        current, previous = values.get(period), values.get(last_year)
        for when, v in ((period, current), (last_year, previous)):
            if v is None:
                label = figures.period_label(when, element.period_type)
                missing.append(f"{element.name} {label}")
        if current is not None and previous is not None:
            pairs[element.name] = (current, previous)
    if missing:
        return ContributionTable(period, None, [], tuple(missing))
    total_pair = pairs.pop(total.name)
    growth, rows = figures.contributions(pairs, total_pair, rest=_("Other sectors"))
    return ContributionTable(period, growth, rows, ())


def latest_period(element: DataElement, region: Region) -> date | None:
    return (
        DataValue.objects.filter(element=element, region=region, status=ValueStatus.APPROVED)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
