"""The cockpit (大屏): the whole page and its data API served from the pre-aggregated tiles, at a
size built in a few minutes, with the query count; the refresh that computes the tiles; and, as
the baseline, computing the same figures from the raw records at request time (what a cockpit
without tiles does), timed in the same run. Target (issue 15): ≤ 300 ms server time, ≥ 10× the
baseline, a fixed query count.

The records are written in bulk, directly (synthetic, as the other benchmarks' histories are):
households of the demo district's grids with their lights and visit dates, tickets and their
dispatch facts over three years, talents and enterprises, key projects with lights and stages,
and ten years of monthly values of ``BENCH_ELEMENTS`` data elements in the district and its 17
streets. Sizes: ``BENCH_HOUSEHOLDS`` (300,000), ``BENCH_TICKETS`` (300,000), ``BENCH_PROJECTS``
(2,000), ``BENCH_ELEMENTS`` (100). The query count is measured before the records are added too:
it must not move."""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bench.common import report, speed_gauge, timed

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "300000"))
TICKETS = int(os.environ.get("BENCH_TICKETS", "300000"))
PROJECTS = int(os.environ.get("BENCH_PROJECTS", "2000"))
ELEMENTS = int(os.environ.get("BENCH_ELEMENTS", "100"))
YEARS = 10


def _say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _households(rng: random.Random, grids: list[Any], today: date) -> None:
    from gridlight.households.models import Household

    done = Household.objects.count()
    batch: list[Household] = []
    for i in range(done, HOUSEHOLDS):
        grid = grids[i % len(grids)]
        light = rng.choices(["green", "yellow", "red"], weights=[80, 15, 5])[0]
        batch.append(
            Household(
                code=f"B{i:07d}",
                grid=grid,
                region_path=grid.path,
                address=f"基准路{i}号",
                registered_on=date(2020, 1, 1),
                light=light,
                computed_light=light,
                last_visit_on=today - timedelta(days=rng.randint(0, 90)),
                next_visit_due=today + timedelta(days=rng.randint(-20, 60)),
            )
        )
        if len(batch) == 10_000:
            Household.objects.bulk_create(batch)
            batch = []
            _say(f"households {i + 1}")
    Household.objects.bulk_create(batch)


def _tickets(rng: random.Random, grids: list[Any], today: date) -> None:
    from django.utils import timezone

    from gridlight.tickets.models import Category, DispatchFact, Ticket, Unit

    done = Ticket.objects.count()
    categories = list(Category.objects.all()[:20])
    units = list(Unit.objects.all())
    street_of = {g.pk: g.parent.parent_id for g in grids}
    start = timezone.now() - timedelta(days=3 * 365)
    for lo in range(done, TICKETS, 10_000):
        tickets = []
        for i in range(lo, min(lo + 10_000, TICKETS)):
            grid = grids[i % len(grids)]
            at = start + timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
            closed = at < timezone.now() - timedelta(days=10) or rng.random() < 0.5
            tickets.append(
                Ticket(
                    category=rng.choice(categories),
                    region=grid,
                    region_path=grid.path,
                    street_id=street_of[grid.pk],
                    source="hotline",
                    title="基准工单",
                    description="基准",
                    created_at=at,
                    updated_at=at,
                    dispatched_at=at,
                    round=1,
                    status="closed" if closed else "in_progress",
                    closed_at=at + timedelta(days=3) if closed else None,
                )
            )
        made = Ticket.objects.bulk_create(tickets)
        facts = []
        for t in made:
            local = timezone.localtime(t.created_at).date()
            handled = t.status == "closed"
            facts.append(
                DispatchFact(
                    ticket=t,
                    round=1,
                    unit=rng.choice(units),
                    category_id=t.category_id,
                    region_path=t.region_path,
                    street_id=t.street_id,
                    month=local.replace(day=1),
                    dispatched_at=t.created_at,
                    responded=True,
                    responded_on_time=rng.random() < 0.95,
                    handled=handled,
                    handled_on_time=handled and rng.random() < 0.9,
                    overdue=rng.random() < 0.05,
                    rated=handled,
                    resolved=handled and rng.random() < 0.9,
                    satisfied=handled and rng.random() < 0.92,
                )
            )
        DispatchFact.objects.bulk_create(facts)
        _say(f"tickets {lo + len(tickets)}")


def _talent(rng: random.Random, streets: list[Any]) -> None:
    from gridlight.talent.models import Enterprise, Talent

    if Enterprise.objects.filter(name__startswith="基准").exists():
        return
    industries = ["finance", "digital", "energy", "urban", "commerce", "other"]
    enterprises = [
        Enterprise(
            name=f"基准企业{i}",
            credit_code=f"B{i:017d}",
            industry=rng.choice(industries),
            street=(s := streets[i % len(streets)]),
            region_path=s.path,
        )
        for i in range(3000)
    ]
    Enterprise.objects.bulk_create(enterprises)
    Talent.objects.bulk_create(
        [
            Talent(
                name=f"基准人才{i}",
                street=(s := streets[i % len(streets)]),
                region_path=s.path,
                level=rng.choice("ABCDE"),
            )
            for i in range(10_000)
        ],
        batch_size=5000,
    )


def _projects(rng: random.Random, district: Any, streets: list[Any], year: int) -> None:
    from gridlight.development.models import Project
    from gridlight.tickets.catalogue import ensure_units

    if Project.objects.filter(code__startswith="BENCH-").exists():
        return
    units = ensure_units(district)
    Project.objects.bulk_create(
        [
            Project(
                code=f"BENCH-{i:05d}",
                name=f"基准项目{i}",
                year=year,
                industry=rng.choice(["finance", "digital", "energy", "urban", "commerce"]),
                region=(s := streets[i % len(streets)]),
                region_path=s.path,
                unit=units[f"street-{s.code}"],
                total_investment_fen=rng.randint(1, 100) * 10**10,
                annual_investment_fen=10**9,
                stage=rng.choice(["signed", "started", "building", "building", "completed"]),
                planned_start=date(year, 1, 1),
                planned_end=date(year + 1, 12, 31),
                light=rng.choices(["green", "yellow", "red"], weights=[75, 18, 7])[0],
                actual_pct=Decimal(rng.randint(0, 100)),
                planned_pct=Decimal(80),
            )
            for i in range(PROJECTS)
        ],
        batch_size=1000,
    )


def _indicators(rng: random.Random, regions: list[Any], today: date) -> None:
    from django.utils import timezone

    from gridlight.development.models import DataElement, DataValue

    if DataElement.objects.filter(code__startswith="bench_").exists():
        return
    elements = DataElement.objects.bulk_create(
        [
            DataElement(
                code=f"bench_{k:03d}",
                name=f"基准指标{k}",
                unit="亿元",
                aggregation=["sum", "last", "average"][k % 3],
                period_type="month",
            )
            for k in range(ELEMENTS)
        ]
    )
    months = [
        date(y, m, 1)
        for y in range(today.year - YEARS + 1, today.year + 1)
        for m in range(1, 13)
        if date(y, m, 1) < today.replace(day=1)
    ]
    at = timezone.now()
    for n, element in enumerate(elements):
        DataValue.objects.bulk_create(
            [
                DataValue(
                    element=element,
                    period=m,
                    region=r,
                    region_path=r.path,
                    value=Decimal(rng.randint(100, 10_000)) / 10,
                    status="approved",
                    updated_at=at,
                )
                for r in regions
                for m in months
            ],
            batch_size=5000,
        )
        if n % 10 == 9:
            _say(f"indicator elements {n + 1}")


def _build() -> dict[str, int]:
    from django.utils import timezone

    from bench.setup import _analyze
    from gridlight.core.models import Region, RegionLevel

    started = time.perf_counter()
    rng = random.Random(15)  # noqa: S311 - synthetic data
    today = timezone.localdate()
    district = Region.objects.get(code="370103")
    streets = list(Region.objects.filter(parent=district, level=RegionLevel.STREET))
    grids = list(
        Region.objects.filter(path__startswith=district.path, level=RegionLevel.GRID)
        .select_related("parent")
        .order_by("path")
    )
    from gridlight.tickets.catalogue import ensure_units

    ensure_units(district)
    _households(rng, grids, today)
    _tickets(rng, grids, today)
    _talent(rng, streets)
    _projects(rng, district, streets, today.year)
    _indicators(rng, [district, *streets], today)
    _analyze()
    _say(f"built in {time.perf_counter() - started:.0f} s")
    from gridlight.development.models import DataValue, Project
    from gridlight.households.models import Household
    from gridlight.talent.models import Enterprise, Talent
    from gridlight.tickets.models import DispatchFact, Ticket

    return {
        "households": Household.objects.count(),
        "tickets": Ticket.objects.count(),
        "dispatch_facts": DispatchFact.objects.count(),
        "talents": Talent.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "projects": Project.objects.count(),
        "indicator_values": DataValue.objects.count(),
        "regions": 1 + len(streets),
    }


def _queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def run(*, db: str, scale: str) -> None:
    from django.test import Client

    from gridlight.core.demo.build import build_demo
    from gridlight.core.models import Region, User
    from gridlight.dashboard.refresh import compute, refresh

    build_demo()
    admin = User.objects.get(username="admin")
    district = Region.objects.get(code="370103")
    client = Client()
    client.force_login(admin)
    refresh()
    client.get("/cockpit/")
    empty = {url: _queries(client, url) for url in ("/cockpit/", "/api/v1/cockpit")}
    sizes = _build()
    refresh_seconds = timed(lambda: refresh(district), repeat=2)
    baseline = timed(lambda: compute(district), repeat=2)
    street = Region.objects.filter(parent=district).order_by("path").first()
    assert street is not None
    for name, url in (
        ("cockpit-page", "/cockpit/"),
        ("cockpit-api", "/api/v1/cockpit"),
        ("cockpit-street-page", f"/cockpit/?region={street.code}"),
    ):
        queries = _queries(client, url)
        body = len(client.get(url).content)
        seconds = timed(lambda url=url: client.get(url), repeat=10)
        report(
            name,
            db=db,
            rows=sum(sizes.values()),
            seconds=seconds,
            queries=queries,
            queries_before_data=empty.get(url.split("?")[0]),
            bytes=body,
            baseline_seconds=round(baseline, 3),
            speedup=round(baseline / seconds, 1),
            sizes=sizes,
            gauge_ms=speed_gauge(),
        )
    report(
        "cockpit-refresh",
        db=db,
        rows=sum(sizes.values()),
        seconds=refresh_seconds,
        sizes=sizes,
    )
