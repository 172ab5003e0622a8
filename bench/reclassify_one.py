"""One household's reclassification with its explanation, at district size.

``reclassify-one``: households picked at random, as a change of their data would reclassify them
(most keep their light, and are not written). ``reclassify-one-written``: the same for households
whose classification is forgotten first, so that each call writes the household and a history
row and commits them (the case of a household whose light changes)."""

from __future__ import annotations

import os
import statistics
import time

from bench.common import cpu_split, report
from bench.setup import build


def run(*, db: str, scale: str) -> None:
    from gridlight.households.classify import classify_one, explain
    from gridlight.households.models import Household

    rows = build(scale)
    for name, forget in (("reclassify-one", False), ("reclassify-one-written", True)):
        sample = list(Household.objects.order_by("?")[:300])
        if forget:
            Household.objects.filter(pk__in=[h.pk for h in sample]).update(light_at=None)
            for h in sample:
                h.light_at = None
        times = []
        process, backend = cpu_split()
        for h in sample:
            start = time.perf_counter()
            classify_one(h, cause="bench")
            explain(h)
            times.append(time.perf_counter() - start)
        process_after, backend_after = cpu_split()
        times.sort()
        report(
            name,
            db=db,
            rows=rows,
            seconds=statistics.median(times),
            p95_seconds=round(times[int(len(times) * 0.95)], 4),
            # Mean CPU per call (the backend's is counted in clock ticks, too coarse for one call).
            cpu_ms=round(1000 * (process_after - process) / len(sample), 2),
            backend_cpu_ms=round(1000 * (backend_after - backend) / len(sample), 2),
            load=round(os.getloadavg()[0], 1),
        )
