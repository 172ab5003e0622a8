"""Reads for households, residents, visits and the light statistics, limited to the user's scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from gridlight.core.access import Perm, require, scoped
from gridlight.core.crypto import blind_index
from gridlight.core.idcard import InvalidIdNumber, parse_id
from gridlight.core.models import Region
from gridlight.core.models.regions import SEGMENT_WIDTH, subtree
from gridlight.households.models import (
    AttributeValue,
    Household,
    HouseholdStatus,
    Resident,
    ResidentStatus,
    Visit,
)


def _id_lookup(q: str) -> str | None:
    """The blind index of ``q`` if it is a valid ID number, so it can be found exactly."""
    try:
        return blind_index(parse_id(q).number, purpose="id_number")
    except InvalidIdNumber:
        return None


def households_list(
    user: Any,
    *,
    q: str = "",
    light: str = "",
    attribute: str = "",
    region: Region | None = None,
    status: str = HouseholdStatus.ACTIVE,
) -> QuerySet[Household]:
    """Households in the user's scope, searched by member name, exact ID number (through its
    keyed hash), address or household number, and filtered by light, attribute and region."""
    qs = scoped(Household.objects.all(), user, Perm.HOUSEHOLD_VIEW)
    if status:
        qs = qs.filter(status=status)
    if region is not None:
        qs = qs.filter(subtree("region_path", region.path))
    if light:
        qs = qs.filter(light=light)
    # Filters go through indexed IN-subqueries: a correlated EXISTS would be probed once per
    # household (300,000 times) instead of looking the few matches up.
    if attribute:
        qs = qs.filter(
            pk__in=AttributeValue.objects.filter(attribute_id=attribute).values("household_id")
        )
    q = q.strip()
    if q:
        index = _id_lookup(q)
        if index is not None:
            qs = qs.filter(
                pk__in=Resident.objects.filter(id_number_index=index).values("household_id")
            )
        else:
            # Names match from their start (an indexed range), addresses anywhere.
            by_name = Resident.objects.filter(name__gte=q, name__lt=q + "\uffff").values(
                "household_id"
            )
            qs = qs.filter(Q(code__startswith=q) | Q(address__contains=q) | Q(pk__in=by_name))
    return qs.order_by("region_path", "code")


def with_members(qs: QuerySet[Household]) -> QuerySet[Household]:
    present = Resident.objects.filter(status=ResidentStatus.PRESENT).order_by("id")
    return qs.prefetch_related(Prefetch("residents", queryset=present, to_attr="members"))


def worklist(
    user: Any, *, today: date | None = None, limit: int = 300
) -> dict[str, list[Household]]:
    """A grid worker's visits: overdue, due today and due in the coming week (in write scope)."""
    day = today or timezone.localdate()
    qs = with_members(
        scoped(Household.objects.filter(status=HouseholdStatus.ACTIVE), user, Perm.VISIT_RECORD)
        .filter(next_visit_due__lte=day + timedelta(days=7))
        .order_by("next_visit_due", "code")
    )[:limit]
    sections: dict[str, list[Household]] = {"overdue": [], "today": [], "week": []}
    for h in qs:
        assert h.next_visit_due is not None
        key = (
            "overdue" if h.next_visit_due < day else "today" if h.next_visit_due == day else "week"
        )
        sections[key].append(h)
    return sections


@dataclass
class LightCounts:
    red: int = 0
    yellow: int = 0
    green: int = 0
    overdue: int = 0
    visited_30d: int = 0

    @property
    def total(self) -> int:
        return self.red + self.yellow + self.green

    @property
    def coverage(self) -> float:
        """Percentage of households visited in the last 30 days."""
        return 100 * self.visited_30d / self.total if self.total else 0.0


def light_counts_by_child(
    user: Any, region: Region
) -> tuple[LightCounts, list[tuple[Region, LightCounts]]]:
    """Lights, overdue visits and 30-day visit coverage under ``region`` and per child."""
    require(user, Perm.HOUSEHOLD_VIEW)
    day = timezone.localdate()
    width = len(region.path) + 1 + SEGMENT_WIDTH
    base = scoped(
        Household.objects.filter(status=HouseholdStatus.ACTIVE), user, Perm.HOUSEHOLD_VIEW
    ).filter(subtree("region_path", region.path))
    per: dict[str, LightCounts] = defaultdict(LightCounts)
    total = LightCounts()
    # Grouping by the grid (an integer key) is cheaper than by a slice of the path; grids are
    # then rolled up to the children of ``region`` through their paths.
    grid_child = {
        pk: path[:width]
        for pk, path in Region.objects.filter(subtree("path", region.path), level=3).values_list(
            "pk", "path"
        )
    }
    rows = (
        base.values("grid_id", "light")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=Q(next_visit_due__lt=day)),
            visited=Count("id", filter=Q(last_visit_on__gte=day - timedelta(days=30))),
        )
        .order_by()
    )
    for row in rows:
        for target in (per[grid_child.get(row["grid_id"], "")], total):
            setattr(target, row["light"], getattr(target, row["light"]) + row["n"])
            target.overdue += row["overdue"]
            target.visited_30d += row["visited"]
    children = list(region.children.order_by("sort_order", "path"))
    return total, [(c, per.get(c.path, LightCounts())) for c in children]


def light_trend(user: Any, region: Region, *, weeks: int = 12) -> list[tuple[date, dict[str, int]]]:
    """Changes into each light per week under ``region`` (from the light history)."""
    from gridlight.households.models import LightChange

    require(user, Perm.HOUSEHOLD_VIEW)
    start = timezone.localdate() - timedelta(weeks=weeks)
    # A datetime bound, not ``at__date``: the latter is a function call per row on SQLite.
    since = timezone.make_aware(datetime.combine(start, time.min))
    qs = scoped(LightChange.objects.filter(at__gte=since), user, Perm.HOUSEHOLD_VIEW)
    qs = qs.filter(subtree("region_path", region.path)).exclude(from_light="")
    buckets: dict[date, dict[str, int]] = {}
    for i in range(weeks + 1):
        buckets[start + timedelta(weeks=i)] = {"red": 0, "yellow": 0, "green": 0}
    for at, to in qs.values_list("at", "to_light").iterator():
        d = timezone.localtime(at).date()
        week = start + timedelta(weeks=(d - start).days // 7)
        if week in buckets:
            buckets[week][to] += 1
    return sorted(buckets.items())


def visits_for(household: Household) -> QuerySet[Visit]:
    return household.visits.select_related("worker").order_by("-visited_on", "-id")
