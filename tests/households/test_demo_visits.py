"""The demo's visit history is plausible: every household has been visited, most within their
interval, and the overdue ones by days or weeks, never years."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from gridlight.core.demo.build import build_demo
from gridlight.households.classify import intervals, recompute_all
from gridlight.households.demo import LATEST_DAYS, build_households, spread_visits
from gridlight.households.models import Household, Visit

pytestmark = pytest.mark.django_db


def test_demo_visits_are_overdue_by_days_not_years() -> None:
    build_demo()
    build_households(400, seed=7)
    recompute_all()
    spread_visits()
    today = timezone.localdate()
    gaps = intervals()
    households = list(Household.objects.all())
    assert all(h.last_visit_on is not None for h in households)
    assert all(h.next_visit_due is not None for h in households)
    overdue = [h for h in households if h.next_visit_due < today]  # type: ignore[operator]
    # About one in eight, each at most half an interval (and three weeks) late.
    assert 0.05 < len(overdue) / len(households) < 0.25
    latest = today - timedelta(days=LATEST_DAYS)
    assert all(h.next_visit_due >= latest for h in overdue)  # type: ignore[operator]
    assert all(
        (today - h.next_visit_due).days <= max(2, gaps[h.light] // 2)  # type: ignore[operator]
        for h in overdue
    )
    # Each household's last visit is a visit on record.
    per = dict(Visit.objects.values_list("household_id").annotate(n=Count("id")).order_by())
    assert all(per.get(h.pk) == 1 for h in households)
    last = dict(Visit.objects.values_list("household_id", "visited_on"))
    assert all(last[h.pk] == h.last_visit_on for h in households)
