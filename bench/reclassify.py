"""Whole-district reclassification, set-based, against a per-household ORM loop.

The measured run applies a published rule change that moves households (the red age threshold
lowered from 80 to 75, or raised back on a reused database), so history rows and visit
rescheduling are part of the work. The baseline classifies households one by one through the
ORM (``classify_one``) on a sample and is extrapolated to the whole district: timing it on
300,000 households would take far longer than the benchmark is worth, and its cost per household
does not depend on how many there are. The worst cases (every household written) are compared
with the same loop over households that each need writing.
"""

from __future__ import annotations

import copy
import time
from datetime import timedelta

from django.utils import timezone

from bench.common import measured, report
from bench.setup import build

BASELINE_SAMPLE = 2000


def run(*, db: str, scale: str) -> None:
    from django.db.models import DateField, ExpressionWrapper, F
    from django.db.models.functions import Coalesce

    from gridlight.households.classify import (
        RULE_SET,
        classify_one,
        current_version,
        intervals,
        recompute_all,
    )
    from gridlight.households.models import Household
    from gridlight.rules.models import RuleSetVersion

    rows = build(scale)
    # Steady state: nothing changes.
    steady, cost = measured(recompute_all)
    report(
        "reclassify-unchanged",
        db=db,
        rows=rows,
        seconds=steady.seconds,
        changed=steady.changed,
        **cost,
    )
    # A rule change that moves households.
    current = current_version()
    definition = copy.deepcopy(current.definition)
    for rule in definition["rules"]:
        if rule["code"] == "aged_80_alone":
            # Lower the red age to 75 (or, on a database reused from an earlier run, put it
            # back to 80): either way a few thousand households move.
            now_at = rule["when"]["all_of"][0].get("age_at_least")
            rule["when"]["all_of"][0] = {"age_at_least": 80 if now_at == 75 else 75}
    today = timezone.localdate()
    RuleSetVersion.objects.filter(pk=current.pk).update(effective_to=today)
    # After the drafts other benchmarks leave (the pages' rule editor), the next free number.
    number = 1 + max(current.rule_set.versions.values_list("number", flat=True))
    RuleSetVersion.objects.create(
        rule_set=current.rule_set,
        number=number,
        status="published",
        definition=definition,
        effective_from=today,
    )
    assert current_version().number == number, RULE_SET
    changed, cost = measured(recompute_all)
    sample = list(Household.objects.order_by("?")[:BASELINE_SAMPLE])
    start = time.perf_counter()
    for h in sample:
        classify_one(h, cause="bench")
    per_household = (time.perf_counter() - start) / len(sample)
    baseline = per_household * changed.total
    # The naive loop where every household is written (and gets a history row): the
    # baseline of the worst cases below.
    Household.objects.filter(pk__in=[h.pk for h in sample]).update(light_at=None)
    for h in sample:
        h.light_at = None
    start = time.perf_counter()
    for h in sample:
        classify_one(h, cause="bench")
    per_written = (time.perf_counter() - start) / len(sample)
    report(
        "reclassify",
        db=db,
        rows=changed.total,
        seconds=changed.seconds,
        baseline_seconds=round(baseline, 1),
        speedup=round(baseline / changed.seconds, 1),
        changed=changed.changed,
        baseline_sample=len(sample),
        **cost,
    )
    # The worst cases: every household's row rewritten. First with its light and next visit
    # as they are (only the classification's date forgotten), then as a district-size import
    # leaves them: green, with a green household's next visit, no reasons, never classified —
    # so every household gets a history row, and those that are not green a new light and
    # next visit, which rewrites every index that holds either.
    green = timedelta(days=intervals()["green"])
    base = Coalesce(F("last_visit_on"), F("registered_on"))
    for name, reset in (
        ("reclassify-all-rows", {"light_at": None}),
        (
            "reclassify-after-import",
            {
                "light_at": None,
                "light": "green",
                "computed_light": "green",
                "light_reasons": "",
                "next_visit_due": ExpressionWrapper(base + green, output_field=DateField()),
            },
        ),
    ):
        Household.objects.update(**reset)
        _vacuum()
        everything, cost = measured(recompute_all)
        report(
            name,
            db=db,
            rows=everything.total,
            seconds=everything.seconds,
            baseline_seconds=round(per_written * everything.total, 1),
            speedup=round(per_written * everything.total / everything.seconds, 1),
            changed=everything.changed,
            **cost,
        )


def _vacuum() -> None:
    """On PostgreSQL, clear the dead row versions the reset left (300,000 of them, in the pages
    the recompute then writes to): an import inserts its rows and leaves none, and autovacuum
    (off on the benchmark's server) would clear them on a production one. Without it the
    recompute's updates find no room on their own pages, and each run of the benchmark bloats
    the table and its indexes further."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE households_household")
