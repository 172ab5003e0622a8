"""The half-year assessment: indicators read from the platform's live records, never typed.

Each indicator is a percentage per street with the numerator and denominator it came from and a
link to the page that shows the same figure (its source):

- ``visit_coverage``: households visited in the last 30 days ÷ active households
  (households.selectors.light_counts_by_child, the households dashboard);
- ``visits_on_time``: households whose next visit is not overdue ÷ active households (same);
- ``ticket_on_time``, ``ticket_resolution``, ``ticket_satisfaction``: the tickets KPIs of the
  period per street (tickets.kpi.kpis, the KPI page);
- ``brand_progress``: the weighted share of the street's 一街一品 milestones done by the period's
  end (selectors.brands_with_progress, the board);
- ``arena``: the mean of the street's totals in the arenas closed in the period;
- ``attendance``: meetings of the period the street attended ÷ meetings recorded;
- ``actions_done``: action items due in the period and done by their due date ÷ due.

Missing is missing, never zero: a street with no figure for an indicator (no tickets rated, no
milestones) is scored on the indicators it has, their weights rescaled to 100, and the page says
which were missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Avg, Count, F, Q
from django.urls import reverse

from gridlight.core.access import Viewer
from gridlight.core.models import Region, RegionLevel
from gridlight.evaluation.models import (
    ActionItem,
    Assessment,
    Attendance,
    AttendanceStatus,
    Entrant,
    EventKind,
    RoundKind,
    RoundStatus,
    StreetBrand,
)
from gridlight.evaluation.selectors import brands_with_progress

DEFAULT_WEIGHTS = {
    "visit_coverage": 15,
    "visits_on_time": 10,
    "ticket_on_time": 15,
    "ticket_resolution": 10,
    "ticket_satisfaction": 10,
    "brand_progress": 15,
    "arena": 10,
    "attendance": 5,
    "actions_done": 10,
}


@dataclass
class Figure:
    code: str
    numerator: float | None
    denominator: float | None
    source: str

    @property
    def value(self) -> float | None:
        if not self.denominator or self.numerator is None:
            return None
        return 100 * self.numerator / self.denominator


def _figures(user: Viewer, assessment: Assessment) -> dict[int, dict[str, Figure]]:
    from gridlight.households.selectors import light_counts_by_child
    from gridlight.tickets.kpi import kpis

    event = assessment.event
    cycle = event.cycle
    district = cycle.district
    start, end = assessment.period_start, assessment.period_end
    streets = list(Region.objects.filter(parent=district, level=RegionLevel.STREET))
    out: dict[int, dict[str, Figure]] = {s.pk: {} for s in streets}

    _total, per_child = light_counts_by_child(user, district)
    for street, counts in per_child:
        if street.pk not in out:
            continue
        link = reverse("households:dashboard_region", args=[street.pk])
        out[street.pk]["visit_coverage"] = Figure(
            "visit_coverage", counts.visited_30d, counts.total, link
        )
        out[street.pk]["visits_on_time"] = Figure(
            "visits_on_time", counts.total - counts.overdue, counts.total, link
        )

    report = kpis(user, by="street", start=start, end=end)
    for kpi_row in report.rows:
        if kpi_row.key not in out:
            continue
        query = urlencode(
            {"by": "month", "start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}", "street": kpi_row.key}
        )
        link = f"{reverse('tickets:kpi')}?{query}"
        for code, kpi in (
            ("ticket_on_time", "on_time"),
            ("ticket_resolution", "resolution"),
            ("ticket_satisfaction", "satisfaction"),
        ):
            rate = kpi_row.rate(kpi)
            out[kpi_row.key][code] = Figure(code, rate.numerator, rate.denominator, link)

    board = reverse("evaluation:board", args=[cycle.pk])
    for b in brands_with_progress(StreetBrand.objects.filter(cycle=cycle), end):
        if b.street_id in out:
            done, weight = b.w_done, b.w_total  # type: ignore[attr-defined]
            out[b.street_id]["brand_progress"] = Figure("brand_progress", done, weight, board)

    arenas = (
        Entrant.objects.filter(
            round__event__cycle=cycle,
            round__kind=RoundKind.ARENA,
            round__status__in=[RoundStatus.CLOSED, RoundStatus.PUBLISHED],
            round__event__held_on__range=(start, end),
            total__isnull=False,
        )
        .values("region_id")
        .annotate(mean=Avg("total"), n=Count("pk"))
    )
    rounds = reverse("evaluation:rounds", args=[cycle.pk])
    for row in arenas:
        if row["region_id"] in out:
            out[row["region_id"]]["arena"] = Figure("arena", float(row["mean"]), 100.0, rounds)

    meetings = reverse("evaluation:meetings", args=[cycle.pk])
    attended = (
        Attendance.objects.filter(
            event__cycle=cycle, event__kind=EventKind.MEETING, event__held_on__range=(start, end)
        )
        .values("street_id")
        .annotate(
            n=Count("pk"),
            present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
        )
    )
    for row in attended:
        if row["street_id"] in out:
            out[row["street_id"]]["attendance"] = Figure(
                "attendance", row["present"], row["n"], meetings
            )
    actions = (
        ActionItem.objects.filter(event__cycle=cycle, due_on__range=(start, end))
        .values("street_id")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(done_on__isnull=False, done_on__lte=F("due_on"))),
        )
    )
    for row in actions:
        if row["street_id"] in out:
            out[row["street_id"]]["actions_done"] = Figure(
                "actions_done", row["done"], row["n"], meetings
            )
    return out


@dataclass
class Line:
    street_id: int
    total: Decimal
    breakdown: list[dict[str, Any]]


def compute(user: Viewer, assessment: Assessment) -> list[Line]:
    """Each street's weighted score, with every indicator's value, weight and source."""
    weights = {k: Decimal(str(v)) for k, v in assessment.weights.items()}
    lines = []
    for street_id, figures in _figures(user, assessment).items():
        breakdown = []
        points = Decimal(0)
        counted = Decimal(0)
        for code, weight in weights.items():
            f = figures.get(code)
            value = f.value if f is not None else None
            breakdown.append(
                {
                    "code": code,
                    "weight": str(weight),
                    "value": None if value is None else round(value, 2),
                    "numerator": None if f is None else f.numerator,
                    "denominator": None if f is None else f.denominator,
                    "source": "" if f is None else f.source,
                }
            )
            if value is not None and weight:
                points += weight * Decimal(str(value))
                counted += weight
        total = (points / counted).quantize(Decimal("0.0001")) if counted else Decimal(0)
        lines.append(Line(street_id, total, breakdown))
    return lines


def ranks(values: dict[int, Decimal]) -> dict[int, int]:
    """Competition ranks, higher first; equal totals share the rank."""
    ordered = sorted(values.items(), key=lambda kv: kv[1], reverse=True)
    out: dict[int, int] = {}
    for i, (key, value) in enumerate(ordered, start=1):
        out[key] = out[ordered[i - 2][0]] if i > 1 and ordered[i - 2][1] == value else i
    return out


def check_period(start: date, end: date, year: int) -> bool:
    return start <= end and start.year == end.year == year
