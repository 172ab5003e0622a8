"""One household's reclassification with its explanation, at district size."""

from __future__ import annotations

import statistics
import time

from bench.common import report
from bench.setup import build


def run(*, db: str, scale: str) -> None:
    from gridlight.households.classify import classify_one, explain
    from gridlight.households.models import Household

    rows = build(scale)
    sample = list(Household.objects.order_by("?")[:300])
    times = []
    for h in sample:
        start = time.perf_counter()
        classify_one(h, cause="bench")
        explain(h)
        times.append(time.perf_counter() - start)
    times.sort()
    report(
        "reclassify-one",
        db=db,
        rows=rows,
        seconds=statistics.median(times),
        p95_seconds=round(times[int(len(times) * 0.95)], 4),
    )
