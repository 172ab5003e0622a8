"""Indicator arithmetic without a database: missing stays missing, zero series are errors,
and the pulls of GDP's parts add up to GDP's growth."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridlight.development import figures as f

Q1, Q2 = date(2026, 1, 1), date(2026, 4, 1)


def test_aggregation_sum_last_average_and_missing() -> None:
    months = {date(2026, m, 1): Fraction(m) for m in (1, 2, 3)}
    periods = f.periods_to_date(date(2026, 3, 1), f.MONTH)
    assert f.aggregate(months, periods, f.SUM, "x").value == 6
    assert f.aggregate(months, periods, f.LAST, "x").value == 3
    assert f.aggregate(months, periods, f.AVERAGE, "x").value == 2
    gap = f.aggregate(months, f.periods_to_date(date(2026, 4, 1), f.MONTH), f.SUM, "x")
    assert gap.value is None  # April is missing: the total is missing, not 6
    assert gap.missing == ("x 2026-04",)


def test_periods() -> None:
    assert f.period_start(date(2026, 5, 17), f.QUARTER) == Q2
    assert f.periods_to_date(Q2, f.QUARTER) == [Q1, Q2]
    assert f.period_label(Q2, f.QUARTER) == "2026Q2"
    assert f.same_period_last_year(Q2) == date(2025, 4, 1)


def test_ratio_and_growth_divide_by_zero_series_with_a_clear_error() -> None:
    zero = f.Figure(Fraction(0), (("GDP 2025Q1", Fraction(0)),))
    with pytest.raises(f.ZeroSeries, match="GDP 2025Q1"):
        f.ratio(f.Figure(Fraction(1)), zero, Fraction(100), "share")
    with pytest.raises(f.ZeroSeries):
        f.growth(f.Figure(Fraction(1)), zero, "growth")
    missing = f.Figure(None, (), ("GDP 2025Q1",))
    assert f.ratio(f.Figure(Fraction(1)), missing, Fraction(1), "share").missing == ("GDP 2025Q1",)


def test_target_is_pro_rated_for_flows_only() -> None:
    assert f.prorated_target(Fraction(120), Q2, f.QUARTER, f.SUM).value == 60  # to June
    assert f.prorated_target(Fraction(120), date(2026, 3, 1), f.MONTH, f.SUM).value == 30
    assert f.prorated_target(Fraction(4262), Q1, f.QUARTER, f.LAST).value == 4262
    assert f.prorated_target(None, Q1, f.QUARTER, f.SUM).is_missing


def test_the_reports_finance_figures() -> None:
    """Finance value added 69.6 (亿元) against 62.31 a year earlier is +11.7%; with the
    district's GDP 280.4 a year earlier it pulls GDP growth up by 2.6 points."""
    finance = (Fraction("69.6"), Fraction("62.31"))
    gdp = (Fraction("305.0"), Fraction("280.4"))
    growth = f.growth(f.Figure(finance[0]), f.Figure(finance[1]), "finance")
    assert growth.rounded(1) == Decimal("11.7")
    total_growth, rows = f.contributions({"finance": finance}, gdp, rest="other")
    finance_row = rows[0]
    assert f.rounded(finance_row.pull, 1) == Decimal("2.6")
    assert finance_row.rate is not None
    assert f.rounded(finance_row.rate * 100, 1) == Decimal("29.6")  # 7.29 of 24.6, in %
    assert sum(r.pull for r in rows) == total_growth


def test_contribution_rate_is_undefined_when_gdp_did_not_change() -> None:
    growth, rows = f.contributions(
        {"a": (Fraction(5), Fraction(3))}, (Fraction(10), Fraction(10)), rest="rest"
    )
    assert growth == 0
    assert [r.rate for r in rows] == [None, None]
    assert [r.pull for r in rows] == [20, -20]
    with pytest.raises(f.ZeroSeries):
        f.contributions({}, (Fraction(1), Fraction(0)), rest="rest")


amounts = st.fractions(min_value=-1000, max_value=1000, max_denominator=100)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.tuples(amounts, amounts), min_size=0, max_size=8),
    gdp=st.tuples(amounts, amounts.map(lambda v: v or Fraction(1))),
)
def test_pulls_sum_to_gdp_growth_whatever_the_shares(
    parts: list[tuple[Fraction, Fraction]], gdp: tuple[Fraction, Fraction]
) -> None:
    """Shares above 100%, below zero, parts larger than GDP: the pulls still add up."""
    named = {f"part{i}": pair for i, pair in enumerate(parts)}
    growth, rows = f.contributions(named, gdp, rest="rest")
    assert sum((r.pull for r in rows), Fraction(0)) == growth
    assert len(rows) == len(named) + 1
    if gdp[0] != gdp[1]:
        assert sum((r.rate or Fraction(0) for r in rows), Fraction(0)) == 1
