"""Ticket KPIs (问题快速闭环考核指标) from the dispatch facts (``DispatchFact``), which are
folded from the transition log by :mod:`gridlight.tickets.facts`.

The unit of every KPI is one dispatch of a ticket to a unit (a reopened or re-dispatched ticket
counts once per dispatch). A dispatch counts in the month it was dispatched (``DispatchFact.month``,
in the district's time zone), whatever happens to it later. Every rate is a count of dispatches
over another; a rate whose denominator is zero has no value and is shown as "—", never as 0 %.
Definitions and a worked example: docs/tickets-kpi.md.

The counts are read from their monthly sums (``DispatchMonth``, kept by database triggers on the
facts), or from the facts themselves for a viewer whose scope is a grid.
One aggregate query, grouped by the chosen dimension *and* the month, gives both the table and
the monthly trend (rolled up here in Python), so the number of queries does not grow with the
data: at most one more query fetches the rows' names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Literal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Substr
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gridlight.core.access import Perm, Viewer, require
from gridlight.core.models import Region
from gridlight.core.models.regions import SEGMENT_WIDTH
from gridlight.tickets.models import Category, DispatchFact, DispatchMonth, Unit

Dimension = Literal["unit", "street", "community", "category", "month"]
DIMENSIONS: tuple[Dimension, ...] = ("unit", "street", "community", "category", "month")
DIMENSION_LABELS: dict[str, Promise] = {
    "unit": _("Unit"),
    "street": _("Street"),
    "community": _("Community"),
    "category": _("Category"),
    "month": _("Month"),
}
_GROUP_FIELD: dict[str, str] = {
    "unit": "unit_id",
    "street": "street_id",
    "community": "community_path",
    "category": "category_id",
    "month": "month",
}
# A community's path is the first three segments of the fact's (fixed-width) path; a ticket
# placed at a street itself has only two, and is listed as the street's own row.
_COMMUNITY_PATH = 3 * SEGMENT_WIDTH + 2


@dataclass
class Counts:
    """How many dispatches did what (the numerators and denominators of the rates)."""

    dispatches: int = 0
    responded: int = 0  # signed for or returned
    responded_on_time: int = 0  # … by the sign-for deadline
    returned: int = 0  # sent back (退单)
    handled: int = 0
    handled_on_time: int = 0  # handled by the (extended) deadline
    timed: int = 0  # outcome on time known: handled, or not handled but overdue
    overdue: int = 0  # handled late, or red-carded while not handled
    rated: int = 0  # the person's judgment recorded
    resolved: int = 0  # rated, and resolved as the person judged it
    satisfied: int = 0  # rated satisfied or basically satisfied
    reopened: int = 0  # rated, then reopened (重办)

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


COUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Counts))
COUNT_LABELS: dict[str, Promise] = {
    "dispatches": _("Dispatches"),
    "responded": _("Responded"),
    "responded_on_time": _("Responded on time"),
    "returned": _("Returned"),
    "handled": _("Handled"),
    "handled_on_time": _("Handled on time"),
    "timed": _("Outcome on time known"),
    "overdue": _("Overdue"),
    "rated": _("Rated"),
    "resolved": _("Resolved"),
    "satisfied": _("Satisfied"),
    "reopened": _("Reopened"),
}

# The counts as SQL aggregates: COUNT(*) FILTER (WHERE …) on PostgreSQL, COUNT(CASE …) on SQLite.
_AGGREGATES: dict[str, Count] = {
    "dispatches": Count("id"),
    "responded": Count("id", filter=Q(responded=True)),
    "responded_on_time": Count("id", filter=Q(responded_on_time=True)),
    "returned": Count("id", filter=Q(returned=True)),
    "handled": Count("id", filter=Q(handled=True)),
    "handled_on_time": Count("id", filter=Q(handled=True, handled_on_time=True)),
    "timed": Count("id", filter=Q(handled=True) | Q(overdue=True)),
    "overdue": Count("id", filter=Q(overdue=True)),
    "rated": Count("id", filter=Q(rated=True)),
    "resolved": Count("id", filter=Q(rated=True, resolved=True)),
    "satisfied": Count("id", filter=Q(rated=True, satisfied=True)),
    "reopened": Count("id", filter=Q(rated=True, reopened=True)),
}
assert set(_AGGREGATES) == set(COUNT_FIELDS)
# The same counts over the monthly sums (DispatchMonth, kept by triggers that count as above).
_MONTH_SUMS: dict[str, Sum] = {f: Sum(f) for f in COUNT_FIELDS}
# The same counts for the cockpit's pre-aggregated figures (dashboard/refresh.py).
AGGREGATES = _AGGREGATES


@dataclass(frozen=True)
class Kpi:
    code: str
    label: Promise
    numerator: str
    denominator: str
    higher_is_better: bool = True


KPIS: tuple[Kpi, ...] = (
    Kpi("response", _("Response rate"), "responded_on_time", "dispatches"),
    Kpi("on_time", _("On-time rate"), "handled_on_time", "timed"),
    Kpi("resolution", _("Resolution rate"), "resolved", "rated"),
    Kpi("satisfaction", _("Satisfaction rate"), "satisfied", "rated"),
    Kpi("return", _("Return rate"), "returned", "dispatches", higher_is_better=False),
    Kpi("reopen", _("Reopen rate"), "reopened", "rated", higher_is_better=False),
    Kpi("overdue", _("Overdue rate"), "overdue", "dispatches", higher_is_better=False),
)

NO_VALUE = "—"


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """The share (0–1), or None when nothing counts towards it."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        """The percentage rounded to one decimal (for charts and the export), or None."""
        v = self.value
        return None if v is None else round(100 * v, 1)

    def __str__(self) -> str:
        p = self.percent
        return NO_VALUE if p is None else f"{p:.1f}%"


@dataclass
class KpiRow:
    key: Any  # unit, street or category id, community path, the month, or None for the total
    label: str
    counts: Counts = field(default_factory=Counts)

    @property
    def rates(self) -> list[Rate]:
        return [self.rate(k) for k in KPIS]

    @property
    def kpi_rates(self) -> list[tuple[Kpi, Rate]]:
        return [(k, self.rate(k)) for k in KPIS]

    def rate(self, kpi: Kpi | str) -> Rate:
        k = kpi if isinstance(kpi, Kpi) else next(x for x in KPIS if x.code == kpi)
        return Rate(getattr(self.counts, k.numerator), getattr(self.counts, k.denominator))


@dataclass
class KpiReport:
    by: Dimension
    start: date
    end: date
    rows: list[KpiRow]
    total: KpiRow
    trend: list[KpiRow]  # one row per month of the period, oldest first, months with none too


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_between(start: date, end: date) -> list[date]:
    """First days of the months from ``start``'s to ``end``'s, inclusive."""
    months = []
    m = month_start(start)
    last = month_start(end)
    while m <= last:
        months.append(m)
        m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return months


def facts_for(
    user: Viewer,
    *,
    start: date,
    end: date,
    unit: int | None = None,
    street: int | None = None,
    category: int | None = None,
    talent_only: bool = False,
    monthly: bool = False,
) -> Any:
    """The dispatch facts a KPI page counts: in ``user``'s ticket.view scope (403 if held
    nowhere), dispatched in the months from ``start`` to ``end``, narrowed by the filters.

    With ``monthly``, their monthly sums (``DispatchMonth``, a row per month, unit, category and
    community) when the scope is made of whole communities or more — the same numbers from a
    tenth of the rows; a scope that holds a grid only reads the facts (``None`` is returned)."""
    scope = require(user, Perm.TICKET_VIEW)
    model: Any = DispatchFact
    if monthly:
        if any(len(root) > _COMMUNITY_PATH for root in scope.paths):
            return None
        model = DispatchMonth
    qs = model.objects.filter(
        *([Q(dispatches__gt=0)] if monthly else []),
        scope.q("region_path"),
        month__gte=month_start(start),
        month__lte=month_start(end),
    )
    if unit is not None:
        qs = qs.filter(unit_id=unit)
    if street is not None:
        qs = qs.filter(street_id=street)
    if category is not None:
        qs = qs.filter(category_id=category)
    if talent_only:
        qs = qs.filter(talent=True)
    return qs


def _labels(by: Dimension, keys: set[Any]) -> list[tuple[Any, str]]:
    """The rows' keys with their names, in the dimension's natural order."""
    if by == "month":
        return [(k, f"{k:%Y-%m}") for k in sorted(keys)]
    ids = [k for k in keys if k is not None]
    named: list[tuple[Any, str]]
    if by == "unit":
        named = list(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif by == "street":
        named = list(Region.objects.filter(pk__in=ids).order_by("path").values_list("pk", "name"))
    elif by == "community":
        named = [
            (r.path, f"{r.parent.name} {r.name}" if r.parent and r.level >= 2 else r.name)
            for r in Region.objects.filter(path__in=ids).select_related("parent").order_by("path")
        ]
    else:
        english = (get_language() or "").startswith("en")
        named = [
            (pk, (name_en if english and name_en else name))
            for pk, name, name_en in Category.objects.filter(pk__in=ids).values_list(
                "pk", "name", "name_en"
            )
        ]
    found = {pk for pk, _n in named}
    # A fact whose street or unit row has gone still counts; it is listed by its id.
    named += [(k, f"#{k}") for k in sorted(k for k in ids if k not in found)]
    if None in keys:
        named.append((None, str(_("(none)"))))
    return named


def kpis(
    user: Viewer,
    *,
    by: Dimension,
    start: date,
    end: date,
    unit: int | None = None,
    street: int | None = None,
    category: int | None = None,
    talent_only: bool = False,
) -> KpiReport:
    """The KPIs per unit, street, community, category or month of the period, with the total and the
    monthly trend, over the facts in ``user``'s scope (see :func:`facts_for`)."""
    if by not in _GROUP_FIELD:
        raise ValueError(f"unknown dimension: {by!r}")
    key = _GROUP_FIELD[by]
    narrowed: dict[str, Any] = {
        "unit": unit,
        "street": street,
        "category": category,
        "talent_only": talent_only,
    }
    qs = facts_for(user, start=start, end=end, monthly=True, **narrowed)
    sums: dict[str, Any] = _MONTH_SUMS
    community: Any = F("region_path")
    if qs is None:  # a grid's scope: its own facts, few
        qs = facts_for(user, start=start, end=end, **narrowed)
        sums = _AGGREGATES
        community = Substr("region_path", 1, _COMMUNITY_PATH)
    if by == "community":
        qs = qs.annotate(community_path=community)
    group = [key] if key == "month" else [key, "month"]
    per_key: dict[Any, Counts] = {}
    months = months_between(start, end)
    per_month: dict[date, Counts] = {m: Counts() for m in months}
    # Aliased: an annotation named like a field would shadow it in the other filters.
    aggregates = {f"n_{f}": agg for f, agg in sums.items()}
    for row in qs.values(*group).annotate(**aggregates).order_by():
        counts = Counts(**{f: row[f"n_{f}"] or 0 for f in COUNT_FIELDS})
        per_key.setdefault(row[key], Counts()).add(counts)
        per_month.setdefault(row["month"], Counts()).add(counts)
    rows = [KpiRow(k, label, per_key[k]) for k, label in _labels(by, set(per_key))]
    total = KpiRow(None, str(_("Total")))
    for r in rows:
        total.counts.add(r.counts)
    trend = [KpiRow(m, f"{m:%Y-%m}", per_month[m]) for m in sorted(per_month)]
    return KpiReport(
        by=by, start=month_start(start), end=month_start(end), rows=rows, total=total, trend=trend
    )


def chart_data(report: KpiReport) -> dict[str, Any]:
    """What static/gridlight/kpi.js draws: a bar per KPI and row, and the monthly trend lines.
    Rates are percentages; a rate with nothing to count is null (a gap, not a zero)."""
    return {
        "kpis": [str(k.label) for k in KPIS],
        "default": [
            str(k.label) for k in KPIS if k.code in ("response", "on_time", "satisfaction")
        ],
        "names": [r.label for r in report.rows],
        "rates": [[r.rate(k).percent for r in report.rows] for k in KPIS],
        "months": [r.label for r in report.trend],
        "trend": [[r.rate(k).percent for r in report.trend] for k in KPIS],
        "dispatches": [r.counts.dispatches for r in report.trend],
        "dispatches_label": str(COUNT_LABELS["dispatches"]),
    }
