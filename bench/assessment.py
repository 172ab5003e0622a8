"""The half-year assessment of the 17 streets from the live district (300,000 households and
1,000,000 tickets at district scale): ``evaluation.assessment.compute`` as the district
administrator — visit coverage and overdue visits from the households' covering index, the
ticket KPIs per street from the dispatch facts, milestones, arenas, attendance and action items —
and the whole ``assessment_compute`` service (the same plus writing the 17 scores and the audit
row). Target: ≤ 2 s on PostgreSQL.

The baseline is the street-by-street way: for each street, its light counts and its ticket KPIs
asked separately (the same selectors, 17 times over), as a page per street would.

``BENCH_HOUSEHOLDS`` (with ``BENCH_TICKETS``) builds a smaller district, to try it out quickly.
"""

from __future__ import annotations

import os
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.common import report, speed_gauge, timed
from bench.setup import build, build_ticket_history


def run(*, db: str, scale: str) -> None:
    from gridlight.core.models import Region, RegionLevel, User
    from gridlight.evaluation import assessment, services
    from gridlight.evaluation.demo import build_evaluation
    from gridlight.evaluation.models import Assessment
    from gridlight.households.models import Household
    from gridlight.households.selectors import light_counts_by_child
    from gridlight.tickets.kpi import kpis
    from gridlight.tickets.models import DispatchFact, DispatchMonth

    small = int(os.environ.get("BENCH_HOUSEHOLDS") or 0)
    if small:
        _small_district(small)
    else:
        build(scale)
    build_ticket_history(scale)
    build_evaluation()
    admin = User.objects.get(username="admin")
    row = Assessment.objects.filter(computed_at__isnull=False).order_by("-pk").first()
    assert row is not None
    households = Household.objects.count()
    facts = DispatchFact.objects.count()

    with CaptureQueriesContext(connection) as ctx:
        lines = assessment.compute(admin, row)
    queries = len(ctx.captured_queries)
    seconds = timed(lambda: assessment.compute(admin, row), repeat=5)

    def service() -> None:
        fresh = Assessment.objects.get(pk=row.pk)
        services.assessment_compute(actor=admin, assessment_=fresh, version=fresh.version)

    service_seconds = timed(service, repeat=3)
    streets = list(Region.objects.filter(parent=row.event.cycle.district, level=RegionLevel.STREET))

    def baseline() -> None:
        start, end = row.period_start, row.period_end
        for street in streets:
            light_counts_by_child(admin, street)
            kpis(admin, by="month", start=start, end=end, street=street.pk)

    baseline_seconds = timed(baseline, repeat=3)
    # The two reads that grow with the district, timed alone: the households' covering index
    # (linear in households) and the tickets' monthly sums of the period (DispatchMonth rows,
    # bounded by months × units × categories × communities, never the facts).
    district = row.event.cycle.district
    households_seconds = timed(lambda: light_counts_by_child(admin, district), repeat=5)
    tickets_seconds = timed(
        lambda: kpis(admin, by="street", start=row.period_start, end=row.period_end), repeat=5
    )
    month_rows = DispatchMonth.objects.filter(
        month__gte=row.period_start.replace(day=1), month__lte=row.period_end
    ).count()
    report(
        "assessment-compute",
        db=db,
        rows=households + facts,
        seconds=seconds,
        queries=queries,
        streets=len(lines),
        households=households,
        dispatch_facts=facts,
        service_seconds=round(service_seconds, 4),
        baseline_seconds=round(baseline_seconds, 4),
        households_seconds=round(households_seconds, 4),
        tickets_seconds=round(tickets_seconds, 4),
        dispatch_month_rows=month_rows,
        speedup=round(baseline_seconds / seconds, 1),
        gauge_ms=speed_gauge(),
        period=f"{row.period_start}..{row.period_end}",
        measured=str(date.today()),
    )


def _small_district(households: int) -> None:
    from gridlight.core.demo.build import build_demo
    from gridlight.households.classify import recompute_all
    from gridlight.households.demo import build_households, spread_visits
    from gridlight.households.models import Household

    build_demo()
    if Household.objects.count() < households:
        build_households(households)
        recompute_all()
        spread_visits()
