"""The supervision sweeper (``tickets.sweeper.sweep``) over the synthetic history (about
1,000,000 tickets at district scale, a few thousand of them open).

Every measured sweep runs inside a transaction that is rolled back afterwards, so the runs find
the same work each time and a reused database is left as it was: a sweep at the present moment
(the open tickets past their yellow, red and supervision moments get their cards), a sweep three
days later (more of them), and a sweep with nothing left to do (a second pass at the same
moment, the steady state of a sweeper run every few minutes).

The baseline is a per-ticket ORM loop — every ticket read and checked in Python; each one that
needs a card saved, its transition, notice and facts written one by one — timed on a sample of
tickets and on a sample of the changes, and extrapolated to the whole table and to the number
of changes the set-based sweep made.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from bench.common import report
from bench.setup import build_ticket_history

SCAN_SAMPLE = 20_000
CHANGE_SAMPLE = 300


class _Rollback(Exception):
    pass


def _in_rollback(fn: Any) -> Any:
    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            result["value"] = fn()
            raise _Rollback
    except _Rollback:
        pass
    return result["value"]


def run(*, db: str, scale: str) -> None:
    from gridlight.tickets.models import WITH_UNIT, Ticket
    from gridlight.tickets.sweeper import sweep

    rows = build_ticket_history(scale)
    now = timezone.now()
    held = Ticket.objects.filter(status__in=WITH_UNIT).count()
    for name, moment in (("sweep", now), ("sweep-3-days-later", now + timedelta(days=3))):
        samples = []
        counts: dict[str, int] = {}
        for _ in range(3):

            def once(moment: datetime = moment) -> tuple[float, dict[str, int]]:
                start = time.perf_counter()
                c = sweep(now=moment)
                return time.perf_counter() - start, c

            seconds, counts = _in_rollback(once)
            samples.append(seconds)
        changes = counts.get("yellow", 0) + counts.get("red", 0) + counts.get("supervised", 0)
        baseline = _baseline(moment, changes, rows)
        seconds = statistics.median(samples)
        report(
            name,
            db=db,
            rows=rows,
            seconds=seconds,
            held_by_units=held,
            changes=changes,
            **{k: v for k, v in counts.items() if k != "batches"},
            baseline_seconds=round(baseline, 1),
            speedup=round(baseline / seconds, 1),
        )

    def idle() -> float:
        sweep(now=now)
        start = time.perf_counter()
        again = sweep(now=now)
        assert again["red"] == again["yellow"] == again["supervised"] == 0, again
        return time.perf_counter() - start

    samples = [_in_rollback(idle) for _ in range(3)]
    report("sweep-nothing-to-do", db=db, rows=rows, seconds=statistics.median(samples))


def _baseline(now: datetime, changes: int, total: int) -> float:
    """The naive sweep's time: scanning every ticket (per-ticket cost from a sample of the
    table), plus applying each change through the ORM (per-change cost from a sample)."""
    from gridlight.tickets.models import WITH_UNIT, Ticket

    low = Ticket.objects.order_by("id").values_list("id", flat=True).first() or 0
    high = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rng = random.Random(5)  # noqa: S311 - a benchmark sample
    first = rng.randint(low, max(low, high - SCAN_SAMPLE))
    start = time.perf_counter()
    scanned = 0
    for t in Ticket.objects.filter(pk__gte=first).order_by("pk")[:SCAN_SAMPLE].iterator(2000):
        scanned += 1
        _needs(t, now)
    per_scan = (time.perf_counter() - start) / max(scanned, 1)
    due = [
        t
        for t in Ticket.objects.filter(status__in=WITH_UNIT).select_related("category__policy")
        if _needs(t, now)
    ][:CHANGE_SAMPLE]

    def apply() -> float:
        start = time.perf_counter()
        for t in due:
            _apply_one(t, now)
        return (time.perf_counter() - start) / max(len(due), 1)

    per_change = _in_rollback(apply) if due else 0.0
    return per_scan * total + per_change * changes


def _needs(t: Any, now: datetime) -> str:
    from gridlight.tickets.models import WITH_UNIT

    if t.status not in WITH_UNIT:
        return ""
    if t.due_at and t.due_at <= now and t.card != "red":
        return "red"
    if t.yellow_at and t.yellow_at <= now and not t.card:
        return "yellow"
    if t.supervise_at and t.supervise_at <= now and not t.supervised:
        return "supervise"
    return ""


def _apply_one(t: Any, now: datetime) -> None:
    """One ticket's change the naive way: save, log, notice and facts, each through the ORM."""
    from gridlight.tickets import facts
    from gridlight.tickets.models import Notice, Ticket, Transition

    what = _needs(t, now)
    if what == "supervise":
        t.supervised = True
    else:
        t.card = what
    Ticket.objects.filter(pk=t.pk).update(
        card=t.card, supervised=t.supervised, version=t.version + 1, updated_at=now
    )
    Transition.objects.create(
        ticket=t,
        name="supervise" if what == "supervise" else "card",
        source=t.status,
        target=t.status,
        at=now,
        unit_id=t.unit_id,
        round=t.round,
        data={} if what == "supervise" else {"card": what},
    )
    Notice.objects.get_or_create(
        key=f"{t.pk}:{what}:{t.round}:{t.due_at.isoformat()}",
        defaults={
            "kind": what,
            "ticket": t,
            "unit_id": t.unit_id,
            "text": t.title,
            "created_at": now,
        },
    )
    facts.refresh(t)
