"""Recomputing the cockpit's tiles from the records (docs/cockpit.md).

One refresh reads each pillar with a few grouped queries over the whole district — the
households by grid and light (the index ``household_tally`` alone), the tickets' dispatch facts
by street and month, the talents, enterprises and talent problems by street, the key projects of
the year, the approved indicator values of the last two years — and writes one tile per region
(the district and each street) and section. Its query count does not grow with the data or with
the number of streets. A tile whose figures did not change keeps its version (only its
``computed_at`` moves), so a refresh that finds nothing new changes nothing but the time.

Every figure is a count or a sum of records, kept with the counts it is computed from (the
numerator and denominator of a rate, the inputs of an indicator), so the page can say where it
comes from."""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from gridlight.core import jobs
from gridlight.core.boundaries import schematic_outline
from gridlight.core.models import Job, Region, RegionBoundary, RegionLevel, ServicePosition
from gridlight.core.models.regions import SEGMENT_WIDTH, subtree
from gridlight.dashboard.models import CockpitTile, Section
from gridlight.development import figures
from gridlight.development.models import (
    DataElement,
    DataValue,
    Project,
    ProjectKind,
    ReportLine,
    ReportStatus,
    Target,
    ValueStatus,
)
from gridlight.evaluation.models import Entrant, Round, RoundKind, RoundStatus, Standing
from gridlight.households.models import Household, HouseholdStatus
from gridlight.policies.grants import LIVE
from gridlight.policies.models import (
    Application,
    ApplicationStatus,
    Grant,
    Match,
    MatchState,
    MatchStatus,
    Mode,
    Push,
)
from gridlight.talent.models import Enterprise, EnterpriseTag, Talent, TalentProblem
from gridlight.talent.problems import SOLVED
from gridlight.tickets.kpi import AGGREGATES, COUNT_FIELDS
from gridlight.tickets.models import DispatchFact, Status, Ticket

log = logging.getLogger(__name__)

DISTRICT_LEN = SEGMENT_WIDTH
STREET_LEN = 2 * SEGMENT_WIDTH + 1
COMMUNITY_LEN = 3 * SEGMENT_WIDTH + 2
MONTHS = 12  # the tickets' period: the last twelve months, the current one included
SPARK = 12  # periods in an indicator's sparkline
RED_LISTED = 10  # red projects named on the screen


def shift_month(month: date, n: int) -> date:
    months = month.year * 12 + month.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, dtime.min))


@dataclass
class Area:
    """A region the cockpit has a tile for, and the regions its map and tables list."""

    region: Region
    children: list[Region]


class Tally:
    """Numbers added up per region path: a record counts in its district and its street."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = set(paths)
        self.rows: dict[str, dict[str, Any]] = defaultdict(dict)

    def add(self, path: str, key: str, n: int | Fraction | float = 1) -> None:
        for cut in (DISTRICT_LEN, STREET_LEN, COMMUNITY_LEN):
            target = path[:cut] if len(path) >= cut else ""
            if target in self.paths:
                row = self.rows[target]
                row[key] = row.get(key, 0) + n

    def get(self, path: str) -> dict[str, Any]:
        return self.rows.get(path, {})


def _areas(root: Region | None) -> list[Area]:
    """The districts (all, or ``root``'s) and their streets, each with its children: one query."""
    qs = Region.objects.filter(level__lte=RegionLevel.COMMUNITY)
    if root is not None:
        qs = qs.filter(subtree("path", root.path[:DISTRICT_LEN]))
    regions = list(qs.order_by("level", "sort_order", "path"))
    children: dict[int, list[Region]] = defaultdict(list)
    for r in regions:
        if r.parent_id is not None:
            children[r.parent_id].append(r)
    return [Area(r, children[r.pk]) for r in regions if r.level <= RegionLevel.STREET]


def _scoped(qs: QuerySet[Any], root: Region | None, field: str = "region_path") -> QuerySet[Any]:
    return qs.filter(subtree(field, root.path[:DISTRICT_LEN])) if root is not None else qs


# --- households ---------------------------------------------------------------------------------


def households(areas: list[Area], root: Region | None, day: date) -> Tally:
    """Active households by light in force, overdue visits and visits in the last 30 days,
    counted per grid from the index ``household_tally`` and added up per region."""
    paths = {a.region.path for a in areas} | {c.path for a in areas for c in a.children}
    tally = Tally(paths)
    grid_path = dict(
        _scoped(Region.objects.filter(level=RegionLevel.GRID), root, "path").values_list(
            "pk", "path"
        )
    )
    rows = (
        Household.objects.filter(status=HouseholdStatus.ACTIVE)
        .values_list("grid_id", "light")
        .annotate(
            n=Count("grid_id"),
            overdue=Count("grid_id", filter=Q(next_visit_due__lt=day)),
            visited=Count("grid_id", filter=Q(last_visit_on__gte=day - timedelta(days=30))),
        )
        .order_by()
    )
    for grid, light, n, overdue, visited in rows:
        path = grid_path.get(grid)
        if path is None:
            continue
        tally.add(path, light, n)
        tally.add(path, "total", n)
        tally.add(path, "overdue", overdue)
        tally.add(path, "visited_30d", visited)
    return tally


def _households_tile(area: Area, tally: Tally) -> dict[str, Any]:
    own = tally.get(area.region.path)
    keys = ("red", "yellow", "green", "total", "overdue", "visited_30d")
    return {
        **{k: own.get(k, 0) for k in keys},
        "children": [
            {
                "code": c.code,
                **{k: tally.get(c.path).get(k, 0) for k in ("red", "yellow", "green", "total")},
            }
            for c in area.children
        ],
    }


# --- tickets ------------------------------------------------------------------------------------


def ticket_months(day: date) -> list[date]:
    last = day.replace(day=1)
    return [shift_month(last, k - MONTHS + 1) for k in range(MONTHS)]


def tickets(areas: list[Area], root: Region | None, day: date) -> dict[str, Any]:
    """The dispatch facts of the last twelve months by street and month (the KPI page's own
    counts), and the tickets received in that period and closed since, by street."""
    months = ticket_months(day)
    paths = {a.region.path for a in areas}
    facts = (
        _scoped(DispatchFact.objects.filter(month__gte=months[0], month__lte=months[-1]), root)
        .annotate(street_path=Substr("region_path", 1, STREET_LEN))
        .values("street_path", "month")
        .annotate(**{f"n_{f}": agg for f, agg in AGGREGATES.items()})
        .order_by()
    )
    per: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for row in facts:
        label = f"{row['month']:%Y-%m}"
        for cut in (DISTRICT_LEN, STREET_LEN):
            target = row["street_path"][:cut]
            if len(row["street_path"]) >= cut and target in paths:
                counts = per[target].setdefault(label, dict.fromkeys(COUNT_FIELDS, 0))
                for f in COUNT_FIELDS:
                    counts[f] += row[f"n_{f}"]
    received = Tally(paths)
    lo, hi = local_midnight(months[0]), local_midnight(shift_month(months[-1], 1))
    rows = (
        _scoped(Ticket.objects.filter(created_at__gte=lo, created_at__lt=hi), root)
        .annotate(street_path=Substr("region_path", 1, STREET_LEN))
        .values_list("street_path")
        .annotate(n=Count("id"), closed=Count("id", filter=Q(status=Status.CLOSED)))
        .order_by()
    )
    for path, n, closed in rows:
        received.add(path, "received", n)
        received.add(path, "closed", closed)
    return {"months": [f"{m:%Y-%m}" for m in months], "facts": per, "received": received}


def _tickets_tile(area: Area, data: dict[str, Any]) -> dict[str, Any]:
    by_month = data["facts"].get(area.region.path, {})
    totals = dict.fromkeys(COUNT_FIELDS, 0)
    for counts in by_month.values():
        for f in COUNT_FIELDS:
            totals[f] += counts[f]
    own = data["received"].get(area.region.path)
    return {
        "start": data["months"][0],
        "end": data["months"][-1],
        "months": data["months"],
        "by_month": [by_month.get(m, dict.fromkeys(COUNT_FIELDS, 0)) for m in data["months"]],
        "counts": totals,
        "received": own.get("received", 0),
        "closed": own.get("closed", 0),
    }


# --- talents and enterprises --------------------------------------------------------------------


def talent(areas: list[Area], root: Region | None, day: date) -> Tally:
    """Talents, enterprises by industry and tag, and the year's talent problems raised and
    solved (closed as resolved, counted in the month closed), by street."""
    paths = {a.region.path for a in areas}
    tally = Tally(paths)
    street = Substr("region_path", 1, STREET_LEN)
    for path, n in (
        _scoped(Talent.objects.all(), root)
        .annotate(p=street)
        .values_list("p")
        .annotate(n=Count("id"))
        .order_by()
    ):
        tally.add(path, "talents", n)
    for path, industry, n in (
        _scoped(Enterprise.objects.all(), root)
        .annotate(p=street)
        .values_list("p", "industry")
        .annotate(n=Count("id"))
        .order_by()
    ):
        tally.add(path, "enterprises", n)
        tally.add(path, f"industry:{industry}", n)
    for path, kind, level, stage, n in (
        _scoped(EnterpriseTag.objects.all(), root, "enterprise__region_path")
        .annotate(p=Substr("enterprise__region_path", 1, STREET_LEN))
        .values_list("p", "kind", "level", "stage")
        .annotate(n=Count("id"))
        .order_by()
    ):
        tally.add(path, f"tag:{kind}", n)
        # The SRDI level and the listing stage, as the enterprise list filters them.
        if level or stage:
            tally.add(path, f"grade:{kind}:{level}:{stage}", n)
    lo = local_midnight(date(day.year, 1, 1))
    hi = local_midnight(date(day.year + 1, 1, 1))
    for path, raised, solved in (
        _scoped(TalentProblem.objects.all(), root)
        .annotate(p=street)
        .values_list("p")
        .annotate(
            raised=Count("id", filter=Q(created_at__gte=lo, created_at__lt=hi)),
            solved=Count(
                "id", filter=SOLVED & Q(ticket__closed_at__gte=lo, ticket__closed_at__lt=hi)
            ),
        )
        .order_by()
    ):
        tally.add(path, "raised", raised)
        tally.add(path, "solved", solved)
    return tally


def _talent_tile(area: Area, tally: Tally, day: date) -> dict[str, Any]:
    own = tally.get(area.region.path)
    return {
        "year": day.year,
        "talents": own.get("talents", 0),
        "enterprises": own.get("enterprises", 0),
        "industries": {k[9:]: v for k, v in sorted(own.items()) if k.startswith("industry:")},
        "tags": {k[4:]: v for k, v in sorted(own.items()) if k.startswith("tag:")},
        "grades": {k[6:]: v for k, v in sorted(own.items()) if k.startswith("grade:")},
        "raised": own.get("raised", 0),
        "solved": own.get("solved", 0),
    }


# --- key projects -------------------------------------------------------------------------------


def projects(areas: list[Area], root: Region | None, day: date) -> dict[str, Any]:
    """The year's key projects (one row each: a district has hundreds to a few thousand) and the
    land supplied through the approved reports of its parcels, by street and use."""
    year = day.year
    rows = list(
        _scoped(Project.objects.filter(year=year), root)
        .order_by("-total_investment_fen", "code")
        .values(
            "pk",
            "code",
            "name",
            "region_path",
            "light",
            "stage",
            "industry",
            "kind",
            "total_investment_fen",
            "annual_investment_fen",
            "actual_pct",
            "planned_pct",
        )
    )
    land = (
        _scoped(
            ReportLine.objects.filter(
                report__status=ReportStatus.APPROVED,
                milestone__project__year=year,
                milestone__project__kind=ProjectKind.LAND,
            ),
            root,
            "milestone__project__region_path",
        )
        .values_list("milestone__project__region_path", "milestone__project__land_use")
        .annotate(mu=Sum("quantity"))
        .order_by()
    )
    return {"year": year, "rows": rows, "land": list(land)}


def _in(path: str, area: Area) -> bool:
    root = area.region.path
    return path == root or path.startswith(root + ".")


def _pct(value: Any) -> float | None:
    return None if value is None else float(value)


def _projects_tile(area: Area, data: dict[str, Any]) -> dict[str, Any]:
    mine = [r for r in data["rows"] if _in(r["region_path"], area)]
    light: dict[str, int] = defaultdict(int)
    stage: dict[str, int] = defaultdict(int)
    industry: dict[str, int] = defaultdict(int)
    kind: dict[str, int] = defaultdict(int)
    child_of = {c.path: c.code for c in area.children}
    children: dict[str, dict[str, int]] = {c.code: {"n": 0, "red": 0} for c in area.children}
    for r in mine:
        light[r["light"] or "none"] += 1
        stage[r["stage"]] += 1
        industry[r["industry"]] += 1
        kind[r["kind"]] += 1
        code = child_of.get(r["region_path"][:STREET_LEN])
        if code is not None:
            children[code]["n"] += 1
            children[code]["red"] += r["light"] == "red"
    land: dict[str, float] = defaultdict(float)
    for path, use, mu in data["land"]:
        if _in(path, area):
            land[use or "none"] += float(mu)
    red = [r for r in mine if r["light"] == "red"][:RED_LISTED]
    return {
        "year": data["year"],
        "count": len(mine),
        "investment_fen": sum(r["total_investment_fen"] for r in mine),
        "annual_fen": sum(r["annual_investment_fen"] for r in mine),
        "light": dict(light),
        "stage": dict(stage),
        "industry": dict(industry),
        "kind": dict(kind),
        "red": [
            {
                "pk": r["pk"],
                "code": r["code"],
                "name": r["name"],
                "actual": _pct(r["actual_pct"]),
                "planned": _pct(r["planned_pct"]),
            }
            for r in red
        ],
        "demolition": [
            {"pk": r["pk"], "name": r["name"], "actual": _pct(r["actual_pct"])}
            for r in mine
            if r["kind"] == ProjectKind.DEMOLITION
        ][:3],
        "land_mu": {k: round(v, 2) for k, v in sorted(land.items())},
        "children": children,
    }


# --- indicators ---------------------------------------------------------------------------------


def _num(value: Fraction | None, places: int = 2) -> float | None:
    d = figures.rounded(value, places)
    return None if d is None else float(d)


def _safe(compute: Callable[[], figures.Figure]) -> figures.Figure:
    try:
        return compute()
    except figures.ZeroSeries as exc:
        return figures.Figure(None, (), (exc.message,))


def _back(period: date, period_type: str, n: int) -> date:
    step = {figures.MONTH: 1, figures.QUARTER: 3, figures.YEAR: 12}[period_type]
    return shift_month(period, -step * n)


def indicators(areas: list[Area], root: Region | None, day: date) -> dict[str, Any]:
    """The approved values of every element in the district and its streets (each region's
    values are its own), from two years before ``day``'s year, and the year's targets."""
    region_ids = [a.region.pk for a in areas]
    elements = list(DataElement.objects.order_by("code"))
    series: dict[tuple[int, int], dict[date, Fraction]] = defaultdict(dict)
    # Three calendar years back: the sparkline's twelve quarters and last year's base.
    start = date(day.year - 3, 1, 1)
    for element_id, region_id, period, value in DataValue.objects.filter(
        region_id__in=region_ids, status=ValueStatus.APPROVED, period__gte=start, period__lte=day
    ).values_list("element_id", "region_id", "period", "value"):
        series[(element_id, region_id)][period] = Fraction(value)
    targets: dict[tuple[int, int], dict[int, Fraction]] = defaultdict(dict)
    for e, r, y, v in Target.objects.filter(
        region_id__in=region_ids, year__in=[day.year - 1, day.year]
    ).values_list("element_id", "region_id", "year", "value"):
        targets[(e, r)][y] = Fraction(v)
    return {"elements": elements, "series": series, "targets": targets}


def element_tile(
    element: DataElement, data: dict[date, Fraction], annual: dict[int, Fraction]
) -> dict[str, Any] | None:
    """An element's latest figures, as ``indicator_selectors.element_figures`` computes them
    (value, growth on last year, year to date and its growth, pro-rated target, completion),
    from a series already read; None when the region has no value of it."""
    if not data:
        return None
    period = max(data)
    label = element.name
    how, kind = element.aggregation, element.period_type
    last_year = figures.same_period_last_year(period)
    value = figures.value_of(data, period, label)
    previous = figures.value_of(data, last_year, label)
    to_date = figures.aggregate(data, figures.periods_to_date(period, kind), how, label)
    to_date_before = figures.aggregate(data, figures.periods_to_date(last_year, kind), how, label)
    target = figures.prorated_target(annual.get(period.year), period, kind, how)
    growth = _safe(lambda: figures.growth(value, previous, label))
    completion = _safe(lambda: figures.ratio(to_date, target, Fraction(100), "completion"))
    spark = [_back(period, kind, n) for n in range(SPARK - 1, -1, -1)]
    return {
        "id": element.pk,
        "code": element.code,
        "name": element.name,
        "unit": element.unit,
        "industry": element.industry,
        "period": figures.period_label(period, kind),
        "value": _num(value.value),
        "previous": _num(previous.value),
        "growth": _num(growth.value, 1),
        "to_date": _num(to_date.value),
        "to_date_growth": _num(
            _safe(lambda: figures.growth(to_date, to_date_before, label)).value, 1
        ),
        "target": _num(target.value),
        "completion": _num(completion.value, 1),
        "missing": list(dict.fromkeys(growth.missing + to_date.missing))[:4],
        "spark": {
            "periods": [figures.period_label(p, kind) for p in spark],
            "values": [_num(data.get(p)) for p in spark],
        },
    }


def gdp_tile(
    elements: list[DataElement], series: dict[int, dict[date, Fraction]]
) -> dict[str, Any] | None:
    """GDP's growth in its latest period and each part's contribution rate and pull
    (``figures.contributions``: the pulls add up to the growth); missing inputs named."""
    gdp = next((e for e in elements if e.code == "gdp"), None)
    if gdp is None or not series.get(gdp.pk):
        return None
    period = max(series[gdp.pk])
    last_year = figures.same_period_last_year(period)
    parts = [e for e in elements if e.gdp_part and e.period_type == gdp.period_type]
    missing: list[str] = []
    pairs: dict[str, tuple[Fraction, Fraction]] = {}
    for e in [gdp, *parts]:
        values = series.get(e.pk, {})
        now, before = values.get(period), values.get(last_year)
        for when, v in ((period, now), (last_year, before)):
            if v is None:
                missing.append(f"{e.name} {figures.period_label(when, e.period_type)}")
        if now is not None and before is not None:
            pairs[e.code] = (now, before)
    out: dict[str, Any] = {
        "period": figures.period_label(period, gdp.period_type),
        "missing": missing,
        "growth": None,
        "rows": [],
    }
    if missing:
        return out
    total = pairs.pop(gdp.code)
    try:
        growth, rows = figures.contributions(pairs, total, rest="")
    except figures.ZeroSeries as exc:
        out["missing"] = [exc.message]
        return out
    names = {e.code: e.name for e in parts}
    out["growth"] = _num(growth, 1)
    out["rows"] = [
        {
            "code": r.name,
            "name": names.get(r.name, ""),
            "rate": _num(r.rate * 100 if r.rate is not None else None, 1),
            "pull": _num(r.pull, 1),
        }
        for r in rows
    ]
    return out


def _indicators_tile(area: Area, data: dict[str, Any]) -> dict[str, Any]:
    region = area.region.pk
    mine = {e.pk: data["series"].get((e.pk, region), {}) for e in data["elements"]}
    rows = []
    for e in data["elements"]:
        tile = element_tile(e, mine[e.pk], data["targets"].get((e.pk, region), {}))
        if tile is not None:
            rows.append(tile)
    return {"elements": rows, "gdp": gdp_tile(data["elements"], mine)}


# --- street evaluation --------------------------------------------------------------------------


def evaluation(areas: list[Area], root: Region | None, day: date) -> dict[str, Any]:
    """Each district's latest *published* quarterly arena of its streets with its entrants'
    totals and ranks (computed when the round closed; no score sheet is read), and the latest
    year's annual standings of its streets and the echelon tiers of its communities: three
    queries, whatever the number of rounds and streets."""
    arenas: dict[str, dict[str, Any]] = {}
    for r in (
        _scoped(
            Round.objects.filter(
                kind=RoundKind.ARENA, level=RegionLevel.STREET, status=RoundStatus.PUBLISHED
            ),
            root,
        )
        .order_by("-published_at", "-pk")
        .values("pk", "title", "region_path", "published_at", "event__held_on")
    ):
        arenas.setdefault(r["region_path"][:DISTRICT_LEN], r)
    entrants: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in (
        Entrant.objects.filter(round_id__in=[r["pk"] for r in arenas.values()])
        .order_by("rank", "region_path")
        .values("round_id", "region_id", "region_path", "total", "rank")
    ):
        entrants[e["round_id"]].append(dict(e))
    standings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for st in (
        _scoped(Standing.objects.filter(cycle__year__gte=day.year - 1), root)
        .order_by("-cycle__year", "level", "rank", "region_path")
        .values(
            "cycle_id", "cycle__year", "region_id", "region_path", "level", "total", "rank", "tier"
        )
    ):
        standings[st["region_path"][:DISTRICT_LEN]].append(st)
    return {"arenas": arenas, "entrants": entrants, "standings": standings}


def _score(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _evaluation_tile(area: Area, data: dict[str, Any]) -> dict[str, Any]:
    district = area.region.path[:DISTRICT_LEN]
    out: dict[str, Any] = {"arena": None, "standings": None}
    arena = data["arenas"].get(district)
    if arena is not None:
        rows = [
            {"region": e["region_id"], "total": _score(e["total"]), "rank": e["rank"]}
            for e in data["entrants"].get(arena["pk"], [])
            if _in(e["region_path"], area) or area.region.level == RegionLevel.DISTRICT
        ]
        out["arena"] = {
            "pk": arena["pk"],
            "title": arena["title"],
            "held_on": arena["event__held_on"].isoformat(),
            "entrants": len(data["entrants"].get(arena["pk"], [])),
            "rows": rows,
        }
    rows = data["standings"].get(district, [])
    if rows:
        year = rows[0]["cycle__year"]
        latest = [r for r in rows if r["cycle__year"] == year]
        streets = [r for r in latest if r["level"] == RegionLevel.STREET]
        communities = [r for r in latest if r["level"] == RegionLevel.COMMUNITY]
        tiers: dict[str, int] = defaultdict(int)
        for r in communities:
            if _in(r["region_path"], area) and r["tier"]:
                tiers[r["tier"]] += 1
        out["standings"] = {
            "cycle": latest[0]["cycle_id"],
            "year": year,
            "streets": len(streets),
            "rows": [
                {"region": r["region_id"], "total": _score(r["total"]), "rank": r["rank"]}
                for r in streets
                if _in(r["region_path"], area)
            ],
            "tiers": dict(tiers),
        }
    return out


# --- policies -----------------------------------------------------------------------------------

POLICY_COUNTS = (
    "matched",
    "pushes",
    "applications",
    "approved",
    "approved_fen",
    "grants",
    "granted_fen",
)


def policies(areas: list[Area], root: Region | None, day: date) -> Tally:
    """Per policy mode and street, as the policy KPI pages count them: the current met matches,
    the pushes, the applications submitted and those approved (with the approved amounts) this
    year, and the live grants confirmed this year (with their amounts): five grouped queries."""
    tally = Tally({a.region.path for a in areas})
    street = Substr("region_path", 1, STREET_LEN)
    start = date(day.year, 1, 1)

    def add(qs: QuerySet[Any], key: str, amount: str = "", amount_key: str = "") -> None:
        grouped = qs.annotate(p=street).values_list("p", "policy__mode")
        if amount:
            rows = grouped.annotate(n=Count("id"), s=Sum(amount)).order_by()
        else:
            rows = grouped.annotate(n=Count("id"), s=Count("id")).order_by()
        for path, mode, n, total in rows:
            tally.add(path, f"{mode}:{key}", n)
            if amount:
                tally.add(path, f"{mode}:{amount_key}", total or 0)

    add(
        _scoped(Match.objects.filter(status=MatchStatus.CURRENT, state=MatchState.MET), root),
        "matched",
    )
    add(_scoped(Push.objects.filter(created_at__gte=local_midnight(start)), root), "pushes")
    add(
        _scoped(Application.objects.filter(submitted_on__gte=start, submitted_on__lte=day), root),
        "applications",
    )
    add(
        _scoped(
            Application.objects.filter(
                status=ApplicationStatus.APPROVED, decided_on__gte=start, decided_on__lte=day
            ),
            root,
        ),
        "approved",
        "amount_fen",
        "approved_fen",
    )
    add(
        _scoped(
            Grant.objects.filter(
                status__in=LIVE,
                confirmed_at__gte=local_midnight(start),
                confirmed_at__lt=local_midnight(day + timedelta(days=1)),
            ),
            root,
        ),
        "grants",
        "amount_fen",
        "granted_fen",
    )
    return tally


def _policies_tile(area: Area, tally: Tally, day: date) -> dict[str, Any]:
    own = tally.get(area.region.path)
    modes = {mode: {k: own.get(f"{mode}:{k}", 0) for k in POLICY_COUNTS} for mode in Mode.values}
    return {"start": date(day.year, 1, 1).isoformat(), "end": day.isoformat(), "modes": modes}


# --- map ----------------------------------------------------------------------------------------


def outlines(areas: list[Area], root: Region | None) -> dict[int, dict[str, Any]]:
    """Each street's and community's outline: the imported one, else a schematic one around
    its positions (``core.boundaries``, as the position map draws it)."""
    ids = [c.pk for a in areas for c in a.children]
    imported = dict(
        RegionBoundary.objects.filter(region_id__in=ids).values_list("region_id", "geometry")
    )
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for path, lng, lat in _scoped(
        ServicePosition.objects.filter(longitude__isnull=False, latitude__isnull=False), root
    ).values_list("region_path", "longitude", "latitude"):
        for cut in (STREET_LEN, COMMUNITY_LEN):
            if len(path) >= cut:
                points[path[:cut]].append((float(lng), float(lat)))
    shapes: dict[int, dict[str, Any]] = {}
    for a in areas:
        for c in a.children:
            geometry = imported.get(c.pk)
            if geometry is None and points.get(c.path):
                geometry = schematic_outline(points[c.path])
                shapes[c.pk] = {"geometry": geometry, "schematic": True}
            elif geometry is not None:
                shapes[c.pk] = {"geometry": geometry, "schematic": False}
    return shapes


def _centre(geometry: dict[str, Any]) -> list[float]:
    ring = geometry["coordinates"][0]
    if geometry["type"] == "MultiPolygon":
        ring = ring[0]
    xs, ys = [p[0] for p in ring[:-1]], [p[1] for p in ring[:-1]]
    return [round(sum(xs) / len(xs), 6), round(sum(ys) / len(ys), 6)]


def _map_tile(area: Area, shapes: dict[int, dict[str, Any]]) -> dict[str, Any]:
    features = []
    for c in area.children:
        shape = shapes.get(c.pk)
        if shape is None:
            continue
        features.append(
            {
                "code": c.code,
                "name": c.name,
                "pk": c.pk,
                "schematic": shape["schematic"],
                "geometry": shape["geometry"],
                "centre": _centre(shape["geometry"]),
            }
        )
    return {"features": features}


# --- writing ------------------------------------------------------------------------------------


@dataclass
class Refreshed:
    tiles: int
    changed: int
    seconds: float


def compute(
    root: Region | None = None, day: date | None = None
) -> dict[tuple[int, str], tuple[str, Any]]:
    """Every tile's data, by (region id, section), for ``root``'s district (all districts by
    default) as of ``day``."""
    day = day or timezone.localdate()
    areas = _areas(root)
    if not areas:
        return {}
    homes = households(areas, root, day)
    work = tickets(areas, root, day)
    people = talent(areas, root, day)
    plans = projects(areas, root, day)
    figures_ = indicators(areas, root, day)
    shapes = outlines(areas, root)
    ranks = evaluation(areas, root, day)
    grants = policies(areas, root, day)
    out: dict[tuple[int, str], Any] = {}
    for a in areas:
        pk = a.region.pk
        out[(pk, Section.HOUSEHOLDS)] = _households_tile(a, homes)
        out[(pk, Section.TICKETS)] = _tickets_tile(a, work)
        out[(pk, Section.TALENT)] = _talent_tile(a, people, day)
        out[(pk, Section.PROJECTS)] = _projects_tile(a, plans)
        out[(pk, Section.INDICATORS)] = _indicators_tile(a, figures_)
        out[(pk, Section.MAP)] = _map_tile(a, shapes)
        out[(pk, Section.EVALUATION)] = _evaluation_tile(a, ranks)
        out[(pk, Section.POLICIES)] = _policies_tile(a, grants, day)
    paths = {a.region.pk: a.region.path for a in areas}
    # As JSON reads it back, so that an unchanged tile compares equal to its stored data.
    return {key: (paths[key[0]], json.loads(json.dumps(data))) for key, data in out.items()}


def refresh(root: Region | None = None, day: date | None = None) -> Refreshed:
    """Recompute the tiles and write those that changed (idempotent)."""
    started = time.perf_counter()
    tiles = compute(root, day)
    at = timezone.now()
    existing = {
        (t.region_id, t.section): t
        for t in CockpitTile.objects.filter(region_id__in={pk for pk, _s in tiles})
    }
    new, changed, same = [], [], []
    for (pk, section), (path, data) in tiles.items():
        tile = existing.get((pk, section))
        if tile is None:
            new.append(
                CockpitTile(
                    region_id=pk, region_path=path, section=section, data=data, computed_at=at
                )
            )
        elif tile.data != data or tile.region_path != path:
            tile.data, tile.region_path, tile.computed_at = data, path, at
            tile.version += 1
            changed.append(tile)
        else:
            same.append(tile.pk)
    # A refresh running at the same moment (the schedule and the button) may have made them.
    CockpitTile.objects.bulk_create(new, batch_size=200, ignore_conflicts=True)
    CockpitTile.objects.bulk_update(
        changed, ["data", "region_path", "computed_at", "version"], batch_size=200
    )
    CockpitTile.objects.filter(pk__in=same).update(computed_at=at)
    return Refreshed(len(tiles), len(new) + len(changed), time.perf_counter() - started)


def refresh_quietly() -> dict[str, Any]:
    """The scheduled refresh (embedded scheduler, Celery beat)."""
    result = refresh()
    log.info("cockpit refreshed: %s tiles, %s changed", result.tiles, result.changed)
    return {"tiles": result.tiles, "changed": result.changed, "seconds": result.seconds}


JOB = "dashboard.refresh"


def _job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """The page's refresh button: the starter's district, recomputed now."""
    jobs.starter(job)
    root = Region.objects.filter(code=job.params.get("region", "")).first()
    if root is None:
        return {"tiles": 0, "changed": 0}
    progress(10, "")
    result = refresh(root)
    return {"tiles": result.tiles, "changed": result.changed, "seconds": round(result.seconds, 2)}


def register_job() -> None:
    jobs.register(JOB)(_job)
