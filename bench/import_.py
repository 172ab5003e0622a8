"""Household import benchmarks.

``import``: a district-size household workbook (300,000 households, ~720,000 rows) into an empty
register, with full validation; time and peak memory. The workbook is written first, in a
separate process, so that its making does not count towards the import's memory.

``import-one``: a one-row workbook (one new household) into the built district of 300,000
households (``BENCH_HOUSEHOLDS=N`` for a smaller one), against the same import that recomputes
the whole district afterwards (as it did before it reclassified only the households it touched),
in the same run.
"""

from __future__ import annotations

import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import cpu_split, report
from bench.setup import SCALES, build

ATTRS = ["残疾(2级)", "慢性病", "重大疾病", "失业", "优抚对象"]


def write_workbook(path: Path, households: int, seed: int = 5) -> int:
    """A synthetic workbook in the import format; returns its number of data rows."""
    import xlsxwriter

    from gridlight.core.demo.people import person_name
    from gridlight.core.idcard import synthetic_id
    from gridlight.core.models import Region, RegionLevel
    from gridlight.households.demo import SIZE_WEIGHTS, SIZES, SYNTHETIC_REGION, _members
    from gridlight.households.imports import COLUMNS

    rng = random.Random(seed)  # noqa: S311 - synthetic data
    from django.utils import timezone

    today = timezone.localdate()
    grids = list(
        Region.objects.filter(level=RegionLevel.GRID, path__startswith="0001.").values_list(
            "code", flat=True
        )
    )
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("residents")
    for c, col in enumerate(COLUMNS):
        sheet.write_string(0, c, col.header)
    row = 0
    used: set[str] = set()
    for i in range(households):
        grid = grids[i % len(grids)]
        code = f"{grid}-{i // len(grids) + 1:04d}"
        address = (
            f"济南市市中区测试路{i % 300 + 1}号{i % 30 + 1}号楼{i % 6 + 1}单元{i % 28 + 1}01室"
        )
        size = rng.choices(SIZES, SIZE_WEIGHTS)[0]
        h_attrs = "独居" if size == 1 else ("低保" if rng.random() < 0.015 else "")
        for birth, sex, relation in _members(rng, size, today):
            number = synthetic_id(rng, region_code=SYNTHETIC_REGION, birth_date=birth, sex=sex)
            while number in used:
                number = synthetic_id(
                    rng, region_code=SYNTHETIC_REGION, birth_date=birth - timedelta(days=1), sex=sex
                )
            used.add(number)
            row += 1
            values = [
                code,
                grid,
                address,
                h_attrs,
                person_name(rng),
                number,
                f"13{rng.randint(100000000, 999999999)}",
                {
                    "head": "户主",
                    "spouse": "配偶",
                    "child": "子女",
                    "parent": "父母",
                    "grandchild": "孙子女",
                }.get(relation, "其他"),
                rng.choice(ATTRS) if rng.random() < 0.06 else "",
            ]
            for c, v in enumerate(values):
                if v:
                    sheet.write_string(row, c, v)
    book.close()
    return row


def run(*, db: str, scale: str) -> None:
    from gridlight.core.models import User
    from gridlight.households.imports import check_and_import

    build(scale, households=False)
    households = SCALES[scale]
    # BENCH_WORKBOOK: a file to keep the workbook in between runs (it is the same every time,
    # and takes minutes to write); written there when missing.
    kept = os.environ.get("BENCH_WORKBOOK")
    path = Path(kept) if kept else Path(tempfile.mkdtemp()) / "households.xlsx"
    if not path.exists():
        _write_in_child(path, households)
    admin = User.objects.get(username="admin")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu, backend = cpu_split()
    with path.open("rb") as upload:
        summary = check_and_import(actor=admin, upload=upload, filename=path.name)
    # This process's CPU (on SQLite nearly all the work) and its PostgreSQL backend's: the
    # time without waiting for a core on a loaded machine.
    cpu_after, backend_after = cpu_split()
    cpu, backend = cpu_after - cpu, backend_after - backend
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report(
        "import",
        db=db,
        rows=summary.rows,
        seconds=summary.seconds,
        households=summary.households_created,
        cpu_seconds=round(cpu, 1),
        backend_cpu_seconds=round(backend, 1),
        load=round(os.getloadavg()[0], 1),
        peak_rss_mb=round(peak / 1024),
        rss_before_mb=round(before / 1024),
        file_mb=round(path.stat().st_size / 2**20, 1),
    )


def _write_in_child(path: Path, households: int) -> None:
    """The workbook, written by a child process (reading the same environment, so the same
    database), so that its making does not count towards the import's memory."""
    subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                "'gridlight.settings'); django.setup(); from pathlib import Path; "
                "from bench.import_ import write_workbook; "
                f"print(write_workbook(Path({str(path)!r}), {households}), file=sys.stderr)"
            ),
        ],
        check=True,
    )


def _district(scale: str) -> int:
    """The scale's district, or with ``BENCH_HOUSEHOLDS=N`` a smaller one of N households (to
    try the benchmark out on a busy machine; the report says how many there were)."""

    wanted = int(os.environ.get("BENCH_HOUSEHOLDS") or 0)
    if not wanted:
        return build(scale)
    from gridlight.households.classify import recompute_all
    from gridlight.households.demo import build_households
    from gridlight.households.models import Household

    build(scale, households=False)
    if Household.objects.count() < wanted:
        build_households(wanted)
        recompute_all()
    return int(Household.objects.count())


def run_one(*, db: str, scale: str, repeat: int = 5) -> None:
    import statistics

    from gridlight.core.models import Region, RegionLevel, User
    from gridlight.households import imports
    from gridlight.households.imports import COLUMNS, check_and_import

    rows = _district(scale)
    admin = User.objects.get(username="admin")
    grid = Region.objects.filter(level=RegionLevel.GRID).order_by("path").first()
    assert grid is not None
    stamp = time.strftime("%H%M%S")

    def one(k: int) -> float:
        import xlsxwriter

        upload = io.BytesIO()
        book = xlsxwriter.Workbook(upload, {"in_memory": True})
        sheet = book.add_worksheet("residents")
        for c, col in enumerate(COLUMNS):
            sheet.write_string(0, c, col.header)
        for c, value in enumerate(
            [f"BENCH-{stamp}-{k}", grid.code, "济南市市中区测试路1号", "", "单行", "", "", "户主"]
        ):
            if value:
                sheet.write_string(1, c, value)
        book.close()
        upload.seek(0)
        start = time.perf_counter()
        summary = check_and_import(actor=admin, upload=upload, filename="one.xlsx")
        assert summary.households_created == 1
        return time.perf_counter() - start

    one(0)  # warm-up: compiled rule set, caches
    touched = statistics.median(one(k) for k in range(1, repeat + 1))
    everything = imports.CLASSIFY_ONE_BY_ONE
    imports.CLASSIFY_ONE_BY_ONE = -1  # the import as it was: a recompute of the district
    try:
        baseline = statistics.median(one(k) for k in range(repeat + 1, repeat + 3))
    finally:
        imports.CLASSIFY_ONE_BY_ONE = everything
    report("import-one", db=db, rows=rows, seconds=touched, baseline_seconds=round(baseline, 4))
