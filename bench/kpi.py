"""District ticket KPIs over the synthetic history (about 1,000,000 tickets at district scale):
``tickets.kpi.kpis`` as the district administrator, for the current year and for all three
years, by unit, street, category and month.

The baseline is the naive way: every ticket read through the ORM with its transition log, folded
in Python (``facts.fold``) and counted per row of the report. It is timed on a random sample of
tickets and extrapolated to the tickets of the period — its cost per ticket does not depend on
how many there are, and running it over a million tickets would take the better part of an hour.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import report, timed
from bench.setup import build_ticket_history

BASELINE_SAMPLE = 3000


def run(*, db: str, scale: str) -> None:
    from gridlight.core.models import User
    from gridlight.tickets.kpi import DIMENSIONS, kpis
    from gridlight.tickets.models import DispatchFact, Ticket

    tickets = build_ticket_history(scale)
    admin = User.objects.get(username="admin")
    today = timezone.localdate()
    periods = {
        "year": (date(today.year, 1, 1), today),
        "3y": (today.replace(year=today.year - 3) + timedelta(days=1), today),
    }
    per_ticket = _baseline_per_ticket()
    for period, (start, end) in periods.items():
        facts = DispatchFact.objects.filter(
            month__gte=start.replace(day=1), month__lte=end.replace(day=1)
        ).count()
        in_period = Ticket.objects.filter(
            round__gt=0, dispatched_at__date__gte=start - timedelta(days=31)
        ).count()
        in_period = min(in_period, tickets)
        for by in DIMENSIONS:

            def call(by: str = by, start: date = start, end: date = end) -> object:
                return kpis(admin, by=by, start=start, end=end)  # type: ignore[arg-type]

            with CaptureQueriesContext(connection) as ctx:
                result = call()
            queries = len(ctx.captured_queries)
            seconds = timed(call, repeat=5)
            baseline = per_ticket * in_period
            report(
                f"kpi-{by}-{period}",
                db=db,
                rows=facts,
                seconds=seconds,
                queries=queries,
                report_rows=len(result.rows),  # type: ignore[attr-defined]
                dispatches=result.total.counts.dispatches,  # type: ignore[attr-defined]
                baseline_seconds=round(baseline, 1),
                speedup=round(baseline / seconds, 1),
                baseline_tickets=in_period,
            )


def _baseline_per_ticket() -> float:
    """Seconds per ticket of the naive KPI: the ticket and its log through the ORM, folded in
    Python, counted into a per-unit table."""
    from gridlight.tickets import facts
    from gridlight.tickets.models import Ticket, Transition

    low = Ticket.objects.order_by("id").values_list("id", flat=True).first() or 0
    high = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rng = random.Random(11)  # noqa: S311 - a benchmark sample
    sample = [rng.randint(low, high) for _ in range(BASELINE_SAMPLE)]
    table: dict[tuple[int, date], list[int]] = {}
    start = time.perf_counter()
    for pk in sample:
        ticket = Ticket.objects.filter(pk=pk).first()
        if ticket is None:
            continue
        log = list(Transition.objects.filter(ticket=ticket).order_by("at", "id"))
        for r in facts.fold(log).values():
            row = table.setdefault((r.unit_id, r.month), [0] * 8)
            row[0] += 1
            row[1] += r.responded_on_time
            row[2] += r.handled
            row[3] += r.handled_on_time
            row[4] += r.overdue
            row[5] += r.rated
            row[6] += r.satisfied
            row[7] += r.returned
    return (time.perf_counter() - start) / len(sample)
