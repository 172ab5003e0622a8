"""The progress, the time-proportional plan and the light, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridlight.development.lights import (
    MilestonePlan,
    ProjectFacts,
    Thresholds,
    actual_progress,
    assess,
    planned_progress,
    time_share,
)

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def facts(done: str, *, started: date | None = date(2026, 1, 2), **kw: object) -> ProjectFacts:
    m = MilestonePlan(Decimal(210000), *YEAR, done=Decimal(done))
    return ProjectFacts(
        milestones=[m], planned_start=YEAR[0], started_on=started, completed=False, **kw
    )  # type: ignore[arg-type]


def test_demolition_task_progress_is_done_over_planned() -> None:
    assert actual_progress([MilestonePlan(Decimal(210000), *YEAR, done=Decimal(157000))]) == (
        Decimal("74.76")
    )
    assert actual_progress([MilestonePlan(Decimal(210000), *YEAR, done=Decimal(157080))]) == (
        Decimal("74.80")
    )


def test_time_share_counts_both_ends_and_clamps() -> None:
    assert time_share(*YEAR, date(2025, 12, 31)) == 0
    assert time_share(*YEAR, date(2026, 1, 1)) == Decimal(1) / 365
    assert time_share(*YEAR, date(2026, 12, 31)) == 1
    assert time_share(*YEAR, date(2027, 6, 1)) == 1


def test_yinchuan_thresholds_yellow_from_ten_red_beyond_thirty_points_behind() -> None:
    end_of_june = date(2026, 6, 30)  # plan: 181/365 = 49.59%
    rules = Thresholds()
    assert planned_progress(facts("0").milestones, end_of_june) == Decimal("49.59")
    # 9.59 points behind: green; 10.59: yellow; 30.59: red; exactly 30 would still be yellow.
    assert assess(facts("84000"), end_of_june, rules).light == "green"  # 40.00%
    yellow = assess(facts("81900"), end_of_june, rules)  # 39.00%
    assert (yellow.light, yellow.behind) == ("yellow", Decimal("10.59"))
    assert yellow.reasons[0]["code"] == "behind"
    red = assess(facts("40000"), end_of_june, rules)  # 19.05%
    assert (red.light, red.reasons[0]["behind"]) == ("red", "30.54")


def test_thresholds_are_configurable() -> None:
    lax = Thresholds(Decimal(20), Decimal(50), 90)
    assert assess(facts("81900"), date(2026, 6, 30), lax).light == "green"


def test_late_start_is_yellow_then_red() -> None:
    rules = Thresholds()
    early = assess(facts("0", started=None), date(2026, 1, 31), rules)
    assert ("yellow", "late_start") in {(r["light"], r["code"]) for r in early.reasons}
    assert assess(facts("0", started=None), date(2026, 4, 30), rules).light == "red"  # 119 days


def test_late_statistical_registration_is_yellow() -> None:
    result = assess(
        facts("110000", registration_due=date(2026, 3, 31)), date(2026, 4, 30), Thresholds()
    )
    assert (result.light, [r["code"] for r in result.reasons]) == (
        "yellow",
        ["late_registration"],
    )


def test_a_project_without_milestones_has_no_progress_not_zero() -> None:
    result = assess(
        ProjectFacts([], YEAR[0], date(2026, 1, 2), False), date(2026, 6, 30), Thresholds()
    )
    assert (result.actual_pct, result.planned_pct, result.light) == (None, None, "green")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    done=st.decimals(min_value=0, max_value=10**6, places=2),
    day=st.dates(date(2025, 6, 1), date(2027, 6, 1)),
)
def test_progress_and_plan_stay_between_0_and_100(done: Decimal, day: date) -> None:
    result = assess(facts(str(done)), day, Thresholds())
    assert result.actual_pct is not None
    assert result.planned_pct is not None
    assert 0 <= result.actual_pct <= 100
    assert 0 <= result.planned_pct <= 100
    # Ahead of the plan is always green.
    if result.actual_pct >= result.planned_pct:
        assert result.light == "green"
