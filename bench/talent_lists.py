"""The talent desk's lists at district scale (issue 12: ≤ 100 ms each at 100,000 talents).

The data: the talent-problems bench's world (100,000 talent problems with their tickets, 2,000
enterprises, 20 commissioners), grown to ``BENCH_TALENTS`` talents (100,000 by default), every
talent and enterprise served by one of the 20 commissioners (each a district-wide talent
commissioner) with contacts due from two months ago to four months ahead, a fifth of the
enterprises key ones. Pages and API lists, first page, as the district administrator and as a
commissioner; server time (the test client, no network), the CPU a request costs (``cpu_ms``:
this process's and, on PostgreSQL, its server backend's, averaged over six requests) and the
query count.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import report, speed_gauge, timed
from bench.pages import cpu_seconds

TALENTS = {"district": 100_000, "city": 1_000_000}
BATCH = 5_000


def _build(n: int) -> None:
    from bench import talent_problems
    from gridlight.core.models import Assignment, Region, Role, User
    from gridlight.talent.models import (
        CommissionerProfile,
        Enterprise,
        EnterpriseTag,
        TagKind,
        Talent,
    )

    talent_problems._build(talent_problems.PROBLEMS["district"])
    district = Region.objects.get(code="370103")
    commissioners = list(User.objects.filter(username__startswith="bench-commissioner-"))
    for user in commissioners:
        Assignment.objects.get_or_create(
            user=user,
            role=Role.TALENT_COMMISSIONER,
            defaults={
                "region": district,
                "region_path": district.path,
                "write_region": district,
                "write_region_path": district.path,
            },
        )
        CommissionerProfile.objects.get_or_create(user=user, defaults={"office_phone": "0531-1"})
    have = Talent.objects.count()
    if have >= n:
        return
    rng = random.Random(5)  # noqa: S311 - synthetic data
    today = timezone.localdate()
    enterprises = list(Enterprise.objects.values_list("pk", "street_id", "region_path"))
    for start in range(have, n, BATCH):
        rows = []
        for i in range(start, min(n, start + BATCH)):
            firm, street, path = rng.choice(enterprises)
            last = today - timedelta(days=rng.randint(20, 200))
            rows.append(
                Talent(
                    name=f"{rng.choice('张王李赵刘陈杨黄')}{rng.choice('伟芳娜敏静丽强磊')}{i}",
                    street_id=street,
                    region_path=path,
                    level=rng.choice("ABCDDEEE"),
                    employer_id=firm,
                    commissioner=rng.choice(commissioners),
                    last_contact_on=last,
                    next_contact_due=last + timedelta(days=rng.choice((30, 91, 182))),
                )
            )
        Talent.objects.bulk_create(rows)
    # The problems bench's talents and enterprises have no contact dates: give them some.
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {Talent._meta.db_table} SET next_contact_due = %s "  # noqa: S608
            "WHERE next_contact_due IS NULL AND id %% 7 <> 0",
            [today + timedelta(days=10)],
        )
        cur.execute(
            f"UPDATE {Enterprise._meta.db_table} SET next_contact_due = %s "  # noqa: S608
            "WHERE next_contact_due IS NULL AND id %% 3 <> 0",
            [today - timedelta(days=5)],
        )
    EnterpriseTag.objects.bulk_create(
        (
            EnterpriseTag(enterprise_id=pk, kind=TagKind.KEY_INTRODUCED, year=2024)
            for pk, _s, _p in enterprises[::5]
        ),
        ignore_conflicts=True,
    )


def _settle() -> None:
    """The statistics and, on PostgreSQL, the visibility map as a running register has them
    (autovacuum's work after a bulk load, done now rather than at its own moment): without
    them PostgreSQL's planner guesses and its index-only scans visit the table. Run on every
    run, a reused world's too, so a migration's new index or statistics are counted."""
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def run(*, db: str, scale: str) -> None:
    from gridlight.core.models import User
    from gridlight.talent.models import Talent

    n = int(os.environ.get("BENCH_TALENTS") or TALENTS[scale])
    _build(n)
    _settle()
    talents = Talent.objects.count()
    admin = User.objects.get(username="admin")
    commissioner = User.objects.filter(username="bench-commissioner-3").get()
    someone = Talent.objects.order_by("pk")[talents // 2]
    firm = someone.employer_id
    gauge = speed_gauge()
    pages = {
        ("admin", "talent-list"): "/talent/talents/",
        ("admin", "talent-list-level"): "/talent/talents/?level=B",
        ("admin", "talent-list-overdue"): "/talent/talents/?overdue=1",
        ("admin", "talent-search-name"): f"/talent/talents/?q={someone.name[:2]}",
        ("admin", "talent-list-employer"): f"/talent/talents/?employer={firm}",
        ("admin", "enterprise-list"): "/talent/enterprises/",
        ("admin", "enterprise-list-key"): "/talent/enterprises/?tag=key_introduced",
        ("admin", "caseload-of-commissioner"): f"/talent/caseload/commissioners/{commissioner.pk}/",
        ("admin", "workload"): "/talent/caseload/workload/",
        ("admin", "problem-list"): "/talent/problems/",
        ("admin", "problem-list-open"): "/talent/problems/?status=open",
        ("admin", "solved-page"): "/talent/problems/solved/",
        ("admin", "api-talents"): "/api/v1/talents",
        ("admin", "api-enterprises"): "/api/v1/enterprises",
        ("admin", "api-problems"): "/api/v1/talent/problems",
        ("admin", "api-figures"): "/api/v1/caseload/figures",
        ("commissioner", "my-caseload"): f"/talent/caseload/commissioners/{commissioner.pk}/",
        ("commissioner", "api-my-cases"): (
            f"/api/v1/caseload/commissioners/{commissioner.pk}/cases?section=overdue"
        ),
    }
    users = {"admin": admin, "commissioner": commissioner}
    clients: dict[str, Client] = {}
    for (who, name), url in pages.items():
        if who not in clients:
            clients[who] = Client()
            clients[who].force_login(users[who])
        client = clients[who]
        client.get(url)  # warm-up
        cache.clear()  # the first view of a list counts its rows (capped); later ones reuse it
        connection.queries_log.clear()  # a full log (9,000 entries) would capture nothing
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(url).status_code
        cold = time.perf_counter() - start
        # Read now: every request starts by emptying the query log (request_started).
        queries = len(ctx.captured_queries)
        slowest = max((float(q["time"]) for q in ctx.captured_queries), default=0.0)
        assert status == 200, (url, status)
        spent = cpu_seconds()
        seconds = timed(lambda c=client, u=url: c.get(u), repeat=5)
        cpu = (cpu_seconds() - spent) / 6  # the warm-up and the five timed
        report(
            name,
            db=db,
            rows=talents,
            seconds=seconds,
            cpu_ms=round(1000 * cpu, 1),
            cold_seconds=round(cold, 4),
            queries=queries,
            slowest_query_ms=round(1000 * slowest, 1),
            gauge_ms=gauge,
        )
