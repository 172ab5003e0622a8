"""Key projects rolled up: per industry, strategy zone, street, responsible unit or kind, how
many projects there are, how many are red, yellow and green, their investment against the
year's plan, and their average progress against the time-proportional plan; and the quantities
done against those planned per kind of work (mu of land supplied by use, m² demolished, km of
road built). Every figure is a grouped query over the projects the viewer may see (three
queries whatever the number of projects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum

from gridlight.core.access import Viewer
from gridlight.core.industries import Industry
from gridlight.development.access import visible_projects
from gridlight.development.models import (
    LandUse,
    Milestone,
    ProgressReport,
    Project,
    ProjectKind,
    QuantityUnit,
    ReportLine,
    ReportStatus,
    Zone,
)

# What a summary can be grouped by: the project field and how its value is named.
GROUPS: dict[str, tuple[str, str]] = {
    "industry": ("industry", ""),
    "zone": ("zone", ""),
    "street": ("region_id", "region__name"),
    "unit": ("unit_id", "unit__name"),
    "kind": ("kind", ""),
}
_LABELS: dict[str, dict[str, Any]] = {
    "industry": dict(Industry.choices),
    "zone": dict(Zone.choices),
    "kind": dict(ProjectKind.choices),
}
TWO = Decimal("0.01")


@dataclass
class Row:
    key: Any
    label: str
    projects: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    unassessed: int = 0
    total_fen: int = 0
    annual_fen: int = 0
    invested_fen: int = 0  # approved reports of the year
    actual_pct: Decimal | None = None  # average of the assessed projects
    planned_pct: Decimal | None = None

    @property
    def invested_pct(self) -> Decimal | None:
        """The year's approved investment against the annual plan (None without a plan)."""
        if not self.annual_fen:
            return None
        share = Decimal(self.invested_fen) * 100 / Decimal(self.annual_fen)
        return share.quantize(TWO, ROUND_HALF_UP)


@dataclass
class Summary:
    by: str
    year: int | None
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row("", ""))


def _pct(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(TWO, ROUND_HALF_UP)


def summary(user: Viewer, *, by: str = "industry", year: int | None = None) -> Summary:
    """The visible projects of ``year`` (all years when None) grouped ``by`` one of
    :data:`GROUPS`, with a total row computed the same way."""
    if by not in GROUPS:
        by = "industry"
    projects = visible_projects(user)
    if year:
        projects = projects.filter(year=year)
    key, name = GROUPS[by]
    fields = [key, name] if name else [key]
    measures = {
        "n": Count("pk"),
        "red": Count("pk", filter=Q(light="red")),
        "yellow": Count("pk", filter=Q(light="yellow")),
        "green": Count("pk", filter=Q(light="green")),
        "total": Sum("total_investment_fen"),
        "annual": Sum("annual_investment_fen"),
        "actual": Avg("actual_pct"),
        "planned": Avg("planned_pct"),
    }
    grouped = projects.order_by().values(*fields).annotate(**measures)
    reports = ProgressReport.objects.filter(
        project__in=projects.order_by().values("pk"), status=ReportStatus.APPROVED
    )
    if year:
        reports = reports.filter(month__year=year)
    invested = dict(
        reports.order_by()
        .values_list(f"project__{key}")
        .annotate(total=Sum("investment_fen"))
        .values_list(f"project__{key}", "total")
    )
    labels = _LABELS.get(by, {})
    out = Summary(by, year)
    for g in grouped:
        value = g[key]
        label = g[name] if name else labels.get(value, value)
        out.rows.append(_row(value, str(label or "—"), g, invested.get(value) or 0))
    out.rows.sort(key=lambda r: (-r.projects, r.label))
    totals = projects.order_by().aggregate(**measures)
    out.total = _row("", "", totals, sum(invested.values()))
    return out


def _row(key: Any, label: str, g: dict[str, Any], invested: int) -> Row:
    n = g["n"] or 0
    return Row(
        key=key,
        label=label,
        projects=n,
        red=g["red"] or 0,
        yellow=g["yellow"] or 0,
        green=g["green"] or 0,
        unassessed=n - (g["red"] or 0) - (g["yellow"] or 0) - (g["green"] or 0),
        total_fen=g["total"] or 0,
        annual_fen=g["annual"] or 0,
        invested_fen=invested,
        actual_pct=_pct(g["actual"]),
        planned_pct=_pct(g["planned"]),
    )


@dataclass(frozen=True)
class Quantity:
    kind: str
    land_use: str
    unit: str
    planned: Decimal
    done: Decimal

    @property
    def pct(self) -> Decimal | None:
        if not self.planned:
            return None
        return (self.done * 100 / self.planned).quantize(TWO, ROUND_HALF_UP)


def quantities(user: Viewer, *, year: int | None = None) -> list[Quantity]:
    """Planned and approved quantities per kind of project, land use and unit (the land
    supplied by use in mu, the m² demolished, the km of road built), two grouped queries."""
    projects: QuerySet[Project] = visible_projects(user)
    if year:
        projects = projects.filter(year=year)
    chosen = projects.order_by().values("pk")
    group = ("project__kind", "project__land_use", "quantity_unit")
    planned = {
        (k, u, q): total
        for k, u, q, total in Milestone.objects.filter(project__in=chosen)
        .order_by()
        .values_list(*group)
        .annotate(total=Sum("planned_quantity"))
    }
    done = {
        (k, u, q): total
        for k, u, q, total in ReportLine.objects.filter(
            milestone__project__in=chosen, report__status=ReportStatus.APPROVED
        )
        .order_by()
        .values_list(*(f"milestone__{g}" for g in group))
        .annotate(total=Sum("quantity"))
    }
    kinds, uses, units = (
        dict(ProjectKind.choices),
        dict(LandUse.choices),
        dict(QuantityUnit.choices),
    )
    rows = [
        Quantity(
            str(kinds.get(k, k)),
            str(uses.get(u, "")) if u else "",
            str(units.get(q, q)),
            Decimal(total or 0),
            Decimal(done.get((k, u, q)) or 0),
        )
        for (k, u, q), total in planned.items()
    ]
    return sorted(rows, key=_order)


def _order(q: Quantity) -> tuple[str, str, str]:
    return (q.kind, q.land_use, q.unit)
