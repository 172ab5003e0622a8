"""Talent problems at scale: the "problems solved" KPI (``talent.problems.solved_report``) by
commissioner, category, enterprise and month over one and three years, and the commissioners'
list page (first page, and filtered to open problems), as the district administrator.

The data: ``PROBLEMS`` talent problems (100,000 at district scale, 1,000,000 at city scale)
over three years, each with its ticket (two in three closed, most of them as resolved), for
20,000 talents of 2,000 enterprises followed by 20 commissioners, inserted in bulk.

The baseline is the naive way: every problem read through the ORM with its ticket and counted
per row in Python.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import report, speed_gauge, timed

PROBLEMS = {"district": 100_000, "city": 1_000_000}
TALENTS, ENTERPRISES, COMMISSIONERS = 20_000, 2_000, 20
BATCH = 5_000


def _build(n: int) -> None:
    from gridlight.core.demo.build import build_demo
    from gridlight.core.models import Region, RegionLevel, User
    from gridlight.talent.models import Enterprise, ProblemCategory, Talent, TalentProblem
    from gridlight.talent.problems import CATEGORY_CODES
    from gridlight.tickets.catalogue import ensure_units
    from gridlight.tickets.models import Category, CloseReason, Source, Status, Ticket

    if TalentProblem.objects.count() >= n:
        return
    build_demo()
    district = Region.objects.get(code="370103")
    ensure_units(district)
    streets = list(Region.objects.filter(parent=district, level=RegionLevel.STREET))
    rng = random.Random(7)  # noqa: S311 - synthetic data
    commissioners = [
        User.objects.get_or_create(username=f"bench-commissioner-{i}")[0]
        for i in range(COMMISSIONERS)
    ]
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            name=f"基准企业{i}",
            credit_code=f"B{i:017d}",
            industry="digital",
            street=(s := rng.choice(streets)),
            region_path=s.path,
            commissioner=rng.choice(commissioners),
        )
        for i in range(ENTERPRISES)
    )
    talents = Talent.objects.bulk_create(
        (
            Talent(
                name=f"基准人才{i}",
                street=(s := rng.choice(streets)),
                region_path=s.path,
                level=rng.choice("ABCDE"),
                employer=rng.choice(enterprises),
                commissioner=rng.choice(commissioners),
            )
            for i in range(TALENTS)
        ),
        batch_size=BATCH,
    )
    categories = {c: Category.objects.get(code=CATEGORY_CODES[c]) for c in ProblemCategory.values}
    by_path = {s.path: s for s in streets}
    now = timezone.now()
    for start in range(0, n, BATCH):
        rows: list[tuple[Any, Any, str, datetime]] = []
        tickets = []
        for _i in range(min(BATCH, n - start)):
            subject = rng.choice(talents) if rng.random() < 0.8 else rng.choice(enterprises)
            category = rng.choice(ProblemCategory.values)
            created = now - timedelta(days=rng.uniform(0, 3 * 365))
            closed = rng.random() < 0.67
            street = by_path[subject.region_path]
            tickets.append(
                Ticket(
                    category=categories[category],
                    region=street,
                    region_path=street.path,
                    street=street,
                    source=Source.TALENT,
                    title="基准诉求",
                    description="基准",
                    talent=True,
                    status=Status.CLOSED if closed else Status.SUBMITTED,
                    close_reason=(
                        (CloseReason.RESOLVED if rng.random() < 0.85 else CloseReason.EXPLAINED)
                        if closed
                        else ""
                    ),
                    closed_at=created + timedelta(days=rng.uniform(1, 20)) if closed else None,
                    created_at=created,
                    updated_at=created,
                )
            )
            rows.append((subject, category, subject.region_path, created))
        made = Ticket.objects.bulk_create(tickets)
        TalentProblem.objects.bulk_create(
            TalentProblem(
                ticket=t,
                talent=s if isinstance(s, Talent) else None,
                enterprise=None if isinstance(s, Talent) else s,
                region_path=path,
                category=c,
                commissioner_id=s.commissioner_id,
                created_at=at,
            )
            for t, (s, c, path, at) in zip(made, rows, strict=True)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _naive(start: date, end: date) -> int:
    """Every problem with its ticket through the ORM, counted per commissioner in Python."""
    from gridlight.talent.models import TalentProblem

    counts: dict[int, int] = {}
    lo = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    for p in TalentProblem.objects.select_related("ticket"):
        t = p.ticket
        if (
            t.status == "closed"
            and t.close_reason == "resolved"
            and t.closed_at
            and t.closed_at >= lo
        ):
            counts[p.commissioner_id] = counts.get(p.commissioner_id, 0) + 1
    return sum(counts.values())


def run(*, db: str, scale: str) -> None:
    from gridlight.core.models import User
    from gridlight.talent.models import TalentProblem
    from gridlight.talent.problems import DIMENSIONS, shift_month, solved_report

    _build(PROBLEMS[scale])
    n = TalentProblem.objects.count()
    admin = User.objects.get(username="admin")
    end = timezone.localdate().replace(day=1)
    gauge = speed_gauge()
    naive = timed(lambda: _naive(shift_month(end, -11), end), repeat=1)
    for months in (12, 36):
        start = shift_month(end, -(months - 1))
        for by in DIMENSIONS:

            def call(by: str = by, start: date = start) -> Any:
                return solved_report(admin, by=by, start=start, end=end)  # type: ignore[arg-type]

            with CaptureQueriesContext(connection) as ctx:
                result = call()
            seconds = timed(call, repeat=3)
            report(
                f"talent-solved-{by}-{months}m",
                db=db,
                rows=n,
                seconds=seconds,
                queries=len(ctx.captured_queries),
                solved=result.total.solved,
                raised=result.total.raised,
                baseline_seconds=round(naive, 3) if months == 12 else None,
                gauge_ms=gauge,
            )
    client = Client()
    client.force_login(admin)
    for name, url in (
        ("talent-problems-list", "/talent/problems/"),
        ("talent-problems-list-open", "/talent/problems/?status=open"),
        ("talent-solved-page", "/talent/problems/solved/?by=enterprise"),
    ):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        seconds = timed(lambda url=url: client.get(url), repeat=3)
        report(name, db=db, rows=n, seconds=seconds, queries=len(ctx.captured_queries))
