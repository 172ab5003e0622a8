"""Reads for households, residents, visits and the light statistics, limited to the user's scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from gridlight.core.access import Perm, Viewer, require, scoped
from gridlight.core.crypto import blind_index
from gridlight.core.idcard import InvalidIdNumber, parse_id
from gridlight.core.models import Region, RegionLevel
from gridlight.core.models.regions import SEGMENT_WIDTH, subtree
from gridlight.households.models import (
    AttributeValue,
    Household,
    HouseholdStatus,
    Light,
    LightChange,
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
    user: Viewer,
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


# The worklist's sections, and which households each holds on ``day``: the home page's tiles,
# the worklist's badges and its lists all read them from here.
WORKLIST_SECTIONS: dict[str, Callable[[date], Q]] = {
    "overdue": lambda day: Q(next_visit_due__lt=day),
    "today": lambda day: Q(next_visit_due=day),
    "week": lambda day: Q(next_visit_due__gt=day, next_visit_due__lte=day + timedelta(days=7)),
}
# Red before yellow before green: the most vulnerable households are visited first.
SEVERITY = Case(
    When(light=Light.RED, then=Value(0)),
    When(light=Light.YELLOW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def visits_due(user: Viewer, *, today: date | None = None) -> QuerySet[Household]:
    """Active households in the user's visiting (write) scope whose visit is overdue or due
    within the coming week."""
    day = today or timezone.localdate()
    return scoped(
        Household.objects.filter(status=HouseholdStatus.ACTIVE), user, Perm.VISIT_RECORD
    ).filter(next_visit_due__lte=day + timedelta(days=7))


def grids_in_scope(user: Viewer, perm: Perm) -> list[int]:
    """The grids in the user's scope for ``perm``. A household lies where its grid lies (its
    ``region_path`` is the grid's path), so ``grid_id IN`` these scopes households as the path
    does, and lets a count read the index ``household_tally`` (grid, light, next visit, last
    visit, status) alone instead of 300,000 rows of the table."""
    return list(
        scoped(Region.objects.filter(level=RegionLevel.GRID), user, perm, "path").values_list(
            "pk", flat=True
        )
    )


def light_totals(user: Viewer) -> dict[str, int]:
    """Active households in the user's view scope by light in force (the home page's tiles),
    from the index ``household_tally`` alone: grouped by grid and light, then summed here
    (grouped by light alone, SQLite walks the index that begins with the light and reads every
    row of the table for its grid and status)."""
    rows = (
        Household.objects.filter(
            status=HouseholdStatus.ACTIVE, grid_id__in=grids_in_scope(user, Perm.HOUSEHOLD_VIEW)
        )
        .values_list("grid_id", "light")
        # A column of the index, not ``id`` (PostgreSQL's indexes do not hold the key).
        .annotate(n=Count("grid_id"))
        .order_by()
    )
    counts = dict.fromkeys(Light.values, 0)
    for _grid, light, n in rows:
        counts[light] = counts.get(light, 0) + int(n)
    return counts


def worklist_counts(user: Viewer, *, today: date | None = None) -> dict[str, int]:
    """How many visits each worklist section holds (the households of ``visits_due``), read
    from the index ``household_tally``: only its entries due within the week, per grid and
    light. (Counting the lights in the same pass would read every entry: slower than two.)"""
    day = today or timezone.localdate()
    counts = Household.objects.filter(
        status=HouseholdStatus.ACTIVE,
        grid_id__in=grids_in_scope(user, Perm.VISIT_RECORD),
        next_visit_due__lte=day + timedelta(days=7),
    ).aggregate(**{name: Count("grid_id", filter=q(day)) for name, q in WORKLIST_SECTIONS.items()})
    return {name: int(counts[name] or 0) for name in WORKLIST_SECTIONS}


def worklist_section(
    user: Viewer, section: str, *, today: date | None = None
) -> QuerySet[Household]:
    """One section of the worklist with its members, most urgent first: overdue visits by
    light (red, yellow, green), then the longest overdue; today's by light; the week's by day,
    then light."""
    day = today or timezone.localdate()
    qs = (
        visits_due(user, today=day).filter(WORKLIST_SECTIONS[section](day)).alias(severity=SEVERITY)
    )
    if section == "week":
        qs = qs.order_by("next_visit_due", "severity", "code")
    else:
        qs = qs.order_by("severity", "next_visit_due", "code")
    return with_members(qs)


def worklist(
    user: Viewer, *, today: date | None = None, limit: int = 300
) -> dict[str, list[Household]]:
    """The first ``limit`` visits of each section (the API's worklist), with their grids (the
    API names each household's grid: one join, not a query per household)."""
    return {
        name: list(worklist_section(user, name, today=today).select_related("grid")[:limit])
        for name in WORKLIST_SECTIONS
    }


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
    user: Viewer, region: Region
) -> tuple[LightCounts, list[tuple[Region, LightCounts]]]:
    """Lights, overdue visits and 30-day visit coverage under ``region`` and per child.

    Two queries whatever the size: the grids under ``region`` in the user's scope, then the
    active households of those grids grouped by grid and light. A household lies where its grid
    lies (its ``region_path`` is the grid's path), so scoping the grids scopes the households;
    the grouping reads only the index ``household_tally`` (grid, light, next visit, last visit,
    status), never the table."""
    require(user, Perm.HOUSEHOLD_VIEW)
    day = timezone.localdate()
    width = len(region.path) + 1 + SEGMENT_WIDTH
    grid_child = dict(
        scoped(
            Region.objects.filter(subtree("path", region.path), level=RegionLevel.GRID),
            user,
            Perm.HOUSEHOLD_VIEW,
            "path",
        ).values_list("pk", "path")
    )
    per: dict[str, LightCounts] = defaultdict(LightCounts)
    total = LightCounts()
    rows = (
        Household.objects.filter(status=HouseholdStatus.ACTIVE, grid_id__in=list(grid_child))
        .values("grid_id", "light")
        .annotate(
            # Counting a column of the index (never null), not ``id``: PostgreSQL's indexes do
            # not hold the key, and COUNT(id) would visit the table.
            n=Count("grid_id"),
            overdue=Count("grid_id", filter=Q(next_visit_due__lt=day)),
            visited=Count("grid_id", filter=Q(last_visit_on__gte=day - timedelta(days=30))),
        )
        .order_by()
    )
    for row in rows if grid_child else ():
        child = grid_child[row["grid_id"]][:width]
        for target in (per[child], total):
            setattr(target, row["light"], getattr(target, row["light"]) + row["n"])
            target.overdue += row["overdue"]
            target.visited_30d += row["visited"]
    children = list(region.children.order_by("sort_order", "path"))
    return total, [(c, per.get(c.path, LightCounts())) for c in children]


@dataclass
class LightTrend:
    """Changes into each light per week (Monday to Sunday, local time), oldest week first."""

    weeks: list[date]
    red: list[int]
    yellow: list[int]
    green: list[int]

    @property
    def total(self) -> int:
        return sum(self.red) + sum(self.yellow) + sum(self.green)


def light_trend(user: Viewer, region: Region, *, weeks: int = 12) -> LightTrend:
    """Changes of light per week under ``region`` over the last ``weeks`` weeks (this one
    included), counted in the database from the light history. A household's first light (the
    history row ``from_light = ''``) is not a change; the partial index ``lightchange_moves``
    holds only the real changes, so a district's first classification (300,000 rows) is never
    read here."""
    require(user, Perm.HOUSEHOLD_VIEW)
    today = timezone.localdate()
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks + 1)]
    # Week boundaries as aware datetimes (local midnights): the database compares ``at`` with
    # them instead of converting every row to a local date.
    bounds = [timezone.make_aware(datetime.combine(d, time.min)) for d in starts]
    week = Case(
        *[When(at__lt=bounds[i + 1], then=Value(i)) for i in range(weeks)],
        default=Value(weeks),
        output_field=IntegerField(),
    )
    qs = scoped(
        LightChange.objects.filter(at__gte=bounds[0], at__lt=bounds[-1], from_light__gt=""),
        user,
        Perm.HOUSEHOLD_VIEW,
    ).filter(subtree("region_path", region.path))
    counts = {light: [0] * weeks for light in ("red", "yellow", "green")}
    for i, light, n in (
        qs.annotate(week=week).values_list("week", "to_light").annotate(n=Count("*")).order_by()
    ):
        if light in counts and i < weeks:
            counts[light][i] += n
    return LightTrend(starts[:weeks], counts["red"], counts["yellow"], counts["green"])


def visits_for(household: Household) -> QuerySet[Visit]:
    return household.visits.select_related("worker").order_by("-visited_on", "-id")
