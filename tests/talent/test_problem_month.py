"""The monthly counts the "problems solved" report and the workload read (``ProblemMonth``)
equal the problems counted by the one definition (``problems.solved_problems``), whoever
writes: raising a problem, the tickets' transitions, set-based updates of problems and
tickets, a bulk insert, a delete; and the report read from them equals the report read from
the problems."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from gridlight.core.access import Perm, scope_for
from gridlight.talent.models import ProblemMonth, TalentProblem
from gridlight.talent.problems import (
    _counted_from_problems,
    _month_bounds,
    months_between,
    solved_by_category,
    solved_problems,
    solved_report,
)
from gridlight.tickets.models import CloseReason, Ticket
from tests.conftest import World
from tests.talent.test_problems import _raise, _solve

pytestmark = pytest.mark.django_db


def _month(at: datetime) -> date:
    return timezone.localtime(at).date().replace(day=1)


def _counted(world: World) -> Counter[tuple[Any, ...]]:
    """Raised and solved per month, path, category and commissioner, from the records: solved
    through ``solved_problems`` (the definition), as the district sees them."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for p in TalentProblem.objects.all():
        counts[("raised", _month(p.created_at), p.region_path, p.category, p.commissioner_id)] += 1
    for p in solved_problems(world.users["district_admin"]).select_related("ticket"):
        assert p.ticket.closed_at is not None
        key = (_month(p.ticket.closed_at), p.region_path, p.category, p.commissioner_id)
        counts[("solved", *key)] += 1
    return counts


def _kept() -> Counter[tuple[Any, ...]]:
    """The kept counts under each category and commissioner, checked against the roll-ups
    over every commissioner, every category and both."""
    counts: Counter[tuple[Any, ...]] = Counter()
    rollups: Counter[tuple[Any, ...]] = Counter()
    expected: Counter[tuple[Any, ...]] = Counter()
    every_c, every_m = ProblemMonth.ALL_CATEGORIES, ProblemMonth.ALL_COMMISSIONERS
    for m in ProblemMonth.objects.all():
        for kind, n in (("raised", m.raised), ("solved", m.solved)):
            key = (kind, m.month, m.region_path, m.category, m.commissioner_id)
            if m.category == every_c or m.commissioner_id == every_m:
                rollups[key] += n
                continue
            counts[key] += n
            for c, who in ((m.category, every_m), (every_c, m.commissioner_id), (every_c, every_m)):
                expected[(kind, m.month, m.region_path, c, who)] += n
    assert +rollups == +expected
    return +counts  # zeros dropped


def test_the_monthly_counts_follow_every_writer(world: World) -> None:
    a, b, c = _raise(world), _raise(world, category="apartment"), _raise(world, category="medical")
    assert _kept() == _counted(world)
    assert sum(_kept().values()) == 3
    _solve(world, a)  # the tickets' transitions: rated as resolved, closed
    _solve(world, b, resolved=False)  # closed, not resolved: not solved
    assert _kept() == _counted(world)
    assert sum(n for k, n in _kept().items() if k[0] == "solved") == 1
    # Set-based updates of the tickets (a month earlier; closed as resolved by a rebuild) and
    # of the problems (another commissioner, another category).
    Ticket.objects.filter(pk=a.ticket_id).update(closed_at=timezone.now() - timedelta(days=40))
    Ticket.objects.filter(pk=b.ticket_id).update(close_reason=CloseReason.RESOLVED)
    assert _kept() == _counted(world)
    assert sum(n for k, n in _kept().items() if k[0] == "solved") == 2
    TalentProblem.objects.filter(pk=b.pk).update(
        commissioner=world.twins["talent_commissioner"], category="hukou"
    )
    TalentProblem.objects.filter(pk=c.pk).update(created_at=timezone.now() - timedelta(days=70))
    assert _kept() == _counted(world)
    # Deleted and bulk-inserted again (as the demo and the benches write problems).
    rows = list(TalentProblem.objects.filter(pk__in=[a.pk, b.pk]))
    TalentProblem.objects.filter(pk__in=[a.pk, b.pk]).delete()
    assert _kept() == _counted(world)
    for row in rows:
        row.pk = None
    TalentProblem.objects.bulk_create(rows)
    assert _kept() == _counted(world)
    assert solved_by_category(world.users["district_admin"]) == {"school": 1, "hukou": 1}


def test_the_report_from_the_counts_equals_the_report_from_the_problems(world: World) -> None:
    a, b = _raise(world), _raise(world, category="apartment")
    _raise(world, category="medical")
    _solve(world, a)
    _solve(world, b)
    Ticket.objects.filter(pk=b.ticket_id).update(closed_at=timezone.now() - timedelta(days=40))
    today = timezone.localdate()
    start = date(today.year - 1, today.month, 1)
    months = months_between(start, today)
    lo, hi = _month_bounds(start, today)
    for user in (world.users["district_admin"], world.twins["street_staff"]):
        base = TalentProblem.objects.filter(scope_for(user, Perm.TALENT_VIEW).q("region_path"))
        for by in ("commissioner", "category", "month"):
            report = solved_report(user, by=by, start=start, end=today)  # type: ignore[arg-type]
            from_months = {(r.key, r.solved, r.raised) for r in report.rows}
            per: dict[Any, list[int]] = {}
            for key, _m, attr, n in _counted_from_problems(base, by, months, lo, hi):  # type: ignore[arg-type]
                per.setdefault(key, [0, 0])[attr == "raised"] += n
            assert from_months == {(k, s, r) for k, (s, r) in per.items() if s or r}
