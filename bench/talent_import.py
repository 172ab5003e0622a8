"""Talent roster import at district scale (issue 12: 100,000 talents ≤ 60 s, ≤ 1 GB).

``talent-import``: a roster workbook of ``BENCH_TALENTS`` talents (100,000 by default; every
column filled, a third with children, nine in ten employed by one of 2,000 registered
enterprises) imported into an empty register with the full checks, then the same file again
(every talent matched by ID number and updated). Time, this process's CPU (and, on PostgreSQL,
its server backend's, ``server_cpu_seconds``) and peak memory. The workbook is written first,
in a separate process, so its making does not count towards the import's memory.

The baseline is the row-by-row way (``services.talent_create`` per row, the services' own
queries for each), timed on 500 rows in a transaction rolled back, and extrapolated.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import report, speed_gauge
from bench.pages import cpu_seconds

TALENTS = {"district": 100_000, "city": 1_000_000}
ENTERPRISES = 2_000
BASELINE_ROWS = 500
ORIGINS = ["院士", "国家级人才计划", "省级人才计划", "市级人才计划", "创新创业大赛", "用人单位引进"]
DEGREES = ["博士", "硕士", "学士", "专科", ""]
SPOUSE = ["无配偶", "已就业", "求职中", "不求职", ""]
HOUSING = ["自有住房", "租房", "人才公寓", ""]


def _enterprises() -> list[str]:
    """The register's enterprises (made once, in bulk): their credit codes."""
    from gridlight.core.models import Region, RegionLevel
    from gridlight.talent.creditcode import synthetic_code
    from gridlight.talent.models import Enterprise

    if Enterprise.objects.count() < ENTERPRISES:
        rng = random.Random(11)  # noqa: S311 - synthetic data
        streets = list(Region.objects.filter(level=RegionLevel.STREET, code__startswith="370103"))
        codes: set[str] = set()
        while len(codes) < ENTERPRISES:
            codes.add(synthetic_code(rng))
        Enterprise.objects.bulk_create(
            Enterprise(
                name=f"基准企业{i}",
                credit_code=code,
                industry="digital",
                street=(s := streets[i % len(streets)]),
                region_path=s.path,
            )
            for i, code in enumerate(sorted(codes))
        )
    return list(Enterprise.objects.values_list("credit_code", flat=True))


def write_workbook(path: Path, n: int, seed: int = 3) -> int:
    """A synthetic roster in the import format; returns its number of data rows."""
    import xlsxwriter

    from gridlight.core.demo.people import person_name
    from gridlight.core.idcard import synthetic_id
    from gridlight.core.models import Region, RegionLevel
    from gridlight.talent.imports import TALENT_COLUMNS

    rng = random.Random(seed)  # noqa: S311 - synthetic data
    streets = list(
        Region.objects.filter(level=RegionLevel.STREET, code__startswith="370103").values_list(
            "code", flat=True
        )
    )
    codes = _enterprises()
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("talents")
    for c, col in enumerate(TALENT_COLUMNS):
        sheet.write_string(0, c, col.header)
    used: set[str] = set()
    today = date(2026, 6, 1)
    for row in range(1, n + 1):
        born = today - timedelta(days=rng.randint(24 * 365, 60 * 365))
        sex = rng.choice("MF")
        number = synthetic_id(rng, region_code="370103", birth_date=born, sex=sex)
        while number in used:
            number = synthetic_id(rng, region_code="370103", birth_date=born, sex=sex)
        used.add(number)
        children = ""
        if rng.random() < 0.35:
            kids = [
                born + timedelta(days=rng.randint(24 * 365, min(40 * 365, (today - born).days)))
                for _k in range(rng.choice((1, 1, 2)))
            ]
            children = "；".join(f"{person_name(rng)[1:]} {k.isoformat()}" for k in kids)
        employed = rng.random() < 0.9
        values = [
            person_name(rng),
            number,
            f"13{rng.randint(100000000, 999999999)}",
            rng.choice(streets),
            rng.choice("ABCDEEEDD"),
            rng.choice(ORIGINS),
            rng.choice(DEGREES),
            rng.choice(["人工智能", "材料", "金融", "生物医药", ""]),
            rng.choice(codes) if employed else "",
            "" if employed else "山东大学",
            (today - timedelta(days=rng.randint(0, 3650))).isoformat(),
            rng.choice(SPOUSE),
            rng.choice(HOUSING),
            children,
        ]
        for c, v in enumerate(values):
            if v:
                sheet.write_string(row, c, v)
    book.close()
    return n


def _baseline(path: Path) -> float:
    """Seconds per row of the row-by-row way: ``talent_create`` for the file's first rows."""
    from django.db import transaction

    from gridlight.core.models import User
    from gridlight.core.spreadsheets import open_table
    from gridlight.talent import imports, services

    admin = User.objects.get(username="admin")
    streets = imports._Streets()
    rows = []
    with path.open("rb") as upload, open_table(upload, imports.TALENT_COLUMNS) as table:
        for _row, cells in table.rows(as_text=True):
            rows.append(cells)
            if len(rows) >= BASELINE_ROWS:
                break
    start = time.perf_counter()
    with transaction.atomic():
        for cells in rows:
            services.talent_create(
                actor=admin,
                data=services.TalentInput(
                    name=cells["name"],
                    id_number=cells["id_number"],
                    phone=cells["phone"],
                    street=streets.get(cells["street"]),
                    level=cells["level"],
                    employer=services.employer_by_code(admin, cells["employer_code"]),
                    children=imports._children(cells["children"]),
                ),
            )
        transaction.set_rollback(True)
    return (time.perf_counter() - start) / len(rows)


def run(*, db: str, scale: str) -> None:
    from gridlight.core.demo.build import build_demo
    from gridlight.core.models import AuditEvent, User
    from gridlight.talent.imports import import_talents
    from gridlight.talent.models import Child, Talent

    build_demo()
    _enterprises()
    n = int(os.environ.get("BENCH_TALENTS") or TALENTS[scale])
    path = Path(tempfile.mkdtemp()) / "talents.xlsx"
    subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                "'gridlight.settings'); django.setup(); from pathlib import Path; "
                "from bench.talent_import import write_workbook; "
                f"write_workbook(Path({str(path)!r}), {n})"
            ),
        ],
        check=True,
    )
    admin = User.objects.get(username="admin")
    gauge = speed_gauge()
    per_row = _baseline(path)
    for name in ("talent-import", "talent-import-again"):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu = time.process_time()
        both = cpu_seconds()
        start = time.perf_counter()
        with path.open("rb") as upload:
            summary = import_talents(actor=admin, upload=upload, filename=path.name)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        server_cpu = cpu_seconds() - both - cpu  # PostgreSQL's backend; 0 on SQLite
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report(
            name,
            db=db,
            rows=summary.rows,
            seconds=seconds,
            created=summary.created,
            updated=summary.updated,
            talents=Talent.objects.count(),
            children=Child.objects.count(),
            audit_rows=AuditEvent.objects.filter(action__startswith="talent.").count(),
            baseline_seconds=round(per_row * summary.rows, 1),
            cpu_seconds=round(cpu, 1),
            server_cpu_seconds=round(server_cpu, 1),
            load=round(os.getloadavg()[0], 1),
            peak_rss_mb=round(peak / 1024),
            rss_before_mb=round(before / 1024),
            file_mb=round(path.stat().st_size / 2**20, 1),
            gauge_ms=gauge,
        )
