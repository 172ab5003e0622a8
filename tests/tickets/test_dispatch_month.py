"""The monthly sums the KPI pages read (``DispatchMonth``) equal the dispatch facts summed,
whoever writes the facts: the services' transitions, the sweeper's set-based update, a rebuild,
a delete; and a KPI report from the sums equals the same report from the facts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from gridlight.tickets import facts, sweeper
from gridlight.tickets.kpi import COUNT_FIELDS, kpis
from gridlight.tickets.models import DispatchFact, DispatchMonth, Ticket
from tests.conftest import World
from tests.factories import DispatchedTicketFactory
from tests.tickets.test_kpi import APRIL, MARCH, Scenario

pytestmark = pytest.mark.django_db

COMMUNITY_PATH = 3 * 4 + 2


def _summed_facts() -> dict[tuple[Any, ...], Counter[str]]:
    """The facts summed in Python, with the KPI definitions written out again."""
    sums: dict[tuple[Any, ...], Counter[str]] = {}
    for f in DispatchFact.objects.all():
        key = (f.month, f.unit_id, f.category_id, f.region_path[:COMMUNITY_PATH], f.talent)
        c = sums.setdefault(key, Counter())
        c["dispatches"] += 1
        c["responded"] += f.responded
        c["responded_on_time"] += f.responded_on_time
        c["returned"] += f.returned
        c["handled"] += f.handled
        c["handled_on_time"] += f.handled and f.handled_on_time
        c["timed"] += f.handled or f.overdue
        c["overdue"] += f.overdue
        c["rated"] += f.rated
        c["resolved"] += f.rated and f.resolved
        c["satisfied"] += f.rated and f.satisfied
        c["reopened"] += f.rated and f.reopened
    return {k: Counter({f: v[f] for f in COUNT_FIELDS}) for k, v in sums.items()}


def _months() -> dict[tuple[Any, ...], Counter[str]]:
    return {
        (m.month, m.unit_id, m.category_id, m.region_path, m.talent): Counter(
            {f: getattr(m, f) for f in COUNT_FIELDS}
        )
        for m in DispatchMonth.objects.filter(dispatches__gt=0)
    }


def test_the_sums_follow_every_transition(world: World) -> None:
    scenario = Scenario(world).build()
    assert DispatchFact.objects.count() == 9
    assert _months() == _summed_facts()
    # The worked example's street: one key per month, unit and category (and the secret one).
    assert sum(c["dispatches"] for c in _months().values()) == 9
    assert len(_months()) >= 3
    assert scenario.tickets


def test_the_sweeper_rebuild_and_delete_move_the_sums(world: World) -> None:
    monday = timezone.make_aware(datetime(2025, 3, 3, 10))
    tickets = [DispatchedTicketFactory(world=world, at=monday) for _ in range(3)]
    assert _months() == _summed_facts()
    overdue_before = sum(c["overdue"] for c in _months().values())
    # Red cards found overdue: the sweeper's set-based UPDATE of the facts.
    due = max(t.supervise_at for t in tickets if t.supervise_at is not None)
    sweeper.sweep(now=due + timedelta(days=1))
    assert sum(c["overdue"] for c in _months().values()) > overdue_before
    assert _months() == _summed_facts()
    DispatchFact.objects.all().delete()
    assert _months() == {}
    assert facts.rebuild() == DispatchFact.objects.count() > 0
    assert _months() == _summed_facts()
    Ticket.objects.filter(pk=tickets[0].pk).delete()  # cascades to its facts
    assert _months() == _summed_facts()


def test_a_report_from_the_sums_equals_one_from_the_facts(world: World) -> None:
    scenario = Scenario(world).build()
    street = world.twins["street_staff"]  # the open street's scope: read from the sums
    grid = world.twins["grid_worker"]  # the open grid's scope: read from the facts
    assert len(str(world.open_grid.path)) > COUNT_PATH_LIMIT
    for by in ("unit", "street", "community", "category", "month"):
        from_sums = kpis(street, by=by, start=MARCH, end=APRIL)
        from_facts = kpis(grid, by=by, start=MARCH, end=APRIL)
        assert [(r.key, r.counts) for r in from_sums.rows] == [
            (r.key, r.counts) for r in from_facts.rows
        ], by
        assert from_sums.total.counts == from_facts.total.counts
        assert from_sums.total.counts.dispatches == 8
    assert scenario.tickets


COUNT_PATH_LIMIT = COMMUNITY_PATH
