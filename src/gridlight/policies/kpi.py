"""Application and grant KPIs: applications, application rate, approval time in working days
and amounts granted — by policy, street, industry or month, over the caller's ``policy.view``
scope. A record's industry is its subject's: an enterprise's own, a talent's employer's, and
"other" for a talent with no employer (or an industry not entered): :func:`subject_industry`.

Every figure is a query over records: applications by the day submitted; the rate is
applications over current met matches of the same policies (the subjects the policy was found
for); approval time counts the working days (district calendar) from submission to decision
of the applications decided in the period; amounts are the live grants (not cancelled) by the
day they were confirmed.

The push KPIs' rows are ``tracking.push_kpis``; here they are summed per month and in total for
the push page's chart and export. Both pages' charts take the one shape of :func:`bar_and_line`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from gridlight.core.access import Perm, Viewer, require
from gridlight.core.models import Region
from gridlight.core.workdays import district_calendar
from gridlight.policies.grants import LIVE
from gridlight.policies.models import (
    Application,
    ApplicationStatus,
    Grant,
    Match,
    MatchState,
    MatchStatus,
    Policy,
)
from gridlight.policies.tracking import KpiRow, industry_label, subject_industry

Dimension = Literal["policy", "street", "industry", "month"]
DIMENSIONS: dict[str, Any] = {
    "policy": gettext_lazy("Policy"),
    "street": gettext_lazy("Street"),
    "industry": gettext_lazy("Industry"),
    "month": gettext_lazy("Month"),
}


@dataclass
class Row:
    key: Any
    label: str
    applications: int = 0
    matched: int = 0
    decided: int = 0
    approved: int = 0
    workdays_total: int = 0
    grants: int = 0
    granted_fen: int = 0
    in_kind: bool = False  # a policy whose benefit is not money (its amounts are 0 fen)

    @property
    def rate(self) -> float | None:
        """Applications per matched subject, in percent (None: nobody matched)."""
        return round(100 * self.applications / self.matched, 1) if self.matched else None

    @property
    def approval_days(self) -> float | None:
        return round(self.workdays_total / self.decided, 1) if self.decided else None


@dataclass
class Report:
    by: str
    start: date
    end: date
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row("", ""))


def report(
    user: Viewer, *, by: Dimension, start: date, end: date, policy: int | None = None
) -> Report:
    """The KPIs from ``start`` to ``end`` (days, inclusive) by ``by``."""
    scope = require(user, Perm.POLICY_VIEW).q("region_path")
    apps = Application.objects.filter(scope, submitted_on__gte=start, submitted_on__lte=end)
    decided = Application.objects.filter(
        scope,
        decided_on__gte=start,
        decided_on__lte=end,
        status__in=[ApplicationStatus.APPROVED, ApplicationStatus.REFUSED],
    )
    grants = Grant.objects.filter(
        scope, status__in=LIVE, confirmed_at__date__gte=start, confirmed_at__date__lte=end
    )
    matches = Match.objects.filter(scope, status=MatchStatus.CURRENT, state=MatchState.MET)
    if policy:
        apps = apps.filter(policy_id=policy)
        decided = decided.filter(policy_id=policy)
        grants = grants.filter(policy_id=policy)
        matches = matches.filter(policy_id=policy)
    rows: dict[Any, Row] = defaultdict(lambda: Row(None, ""))

    def row(key: Any) -> Row:
        r = rows[key]
        r.key = key
        return r

    if by == "month":
        apps = apps.annotate(month=TruncMonth("submitted_on"))
        grants = grants.annotate(month=TruncMonth("confirmed_at"))
    elif by == "industry":
        apps = apps.annotate(industry=subject_industry())
        grants = grants.annotate(industry=subject_industry())
        decided = decided.annotate(industry=subject_industry())
        matches = matches.annotate(industry=subject_industry())
    key = {"policy": "policy_id", "street": "street_id", "industry": "industry", "month": "month"}[
        by
    ]
    for rec in apps.values(key).annotate(n=Count("pk")):
        row(_norm(by, rec[key])).applications = rec["n"]
    for rec in grants.values(key).annotate(n=Count("pk"), s=Sum("amount_fen")):
        r = row(_norm(by, rec[key]))
        r.grants, r.granted_fen = rec["n"], rec["s"] or 0
    if by in ("policy", "industry"):
        for rec in matches.values(key).annotate(n=Count("pk")):
            row(rec[key]).matched = rec["n"]
    elif by == "street":
        # A match carries its subject's street path (talents and enterprises live in streets).
        counts = dict(matches.values_list("region_path").annotate(n=Count("pk")))
        for pk, path in Region.objects.filter(path__in=counts).values_list("pk", "path"):
            row(pk).matched = counts[path]
    calendar = district_calendar()
    fields = ("decided_on", "submitted_on", "status", *(() if by == "month" else (key,)))
    for rec in decided.values_list(*fields):
        r = row(_month(rec[0]) if by == "month" else rec[3])
        r.decided += 1
        r.approved += rec[2] == ApplicationStatus.APPROVED
        r.workdays_total += calendar.workdays_between(rec[1], rec[0])
    labels = _labels(by, set(rows))
    out = sorted(rows.values(), key=lambda r: (labels.get(r.key, str(r.key)), str(r.key)))
    total = Row("total", str(gettext_lazy("Total")))
    in_kind = _in_kind_policies(set(rows)) if by == "policy" else set()
    for r in out:
        r.label = labels.get(r.key, str(r.key))
        r.in_kind = r.key in in_kind
        for name in SUMMED:
            setattr(total, name, getattr(total, name) + getattr(r, name))
    total.matched = matches.count()
    return Report(by, start, end, out, total)


SUMMED = ("applications", "decided", "approved", "workdays_total", "grants", "granted_fen")


def _norm(by: str, value: Any) -> Any:
    return _month(value) if by == "month" else value


def _month(value: Any) -> str:
    return f"{value:%Y-%m}" if value else ""


def _in_kind_policies(keys: set[Any]) -> set[int]:
    """Of these policies, those whose published benefit is in kind (grants.in_kind_versions)."""
    from gridlight.policies.grants import in_kind_versions

    return set(in_kind_versions().filter(policy_id__in=keys).values_list("policy_id", flat=True))


def _labels(by: str, keys: set[Any]) -> dict[Any, str]:
    if by == "policy":
        return dict(Policy.objects.filter(pk__in=keys).values_list("pk", "title"))
    if by == "street":
        return dict(Region.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "industry":
        return {k: industry_label(k) for k in keys}
    return {k: str(k) for k in keys}


def bar_and_line(
    names: list[str], bar: tuple[str | Promise, list[Any]], line: tuple[str | Promise, list[Any]]
) -> dict[str, Any]:
    """The data of a KPI page's chart (static/gridlight/policies_kpi.js): one bar series and
    one line series on a second axis, over the same category names."""
    return {
        "names": names,
        "bar_label": str(bar[0]),
        "bars": bar[1],
        "line_label": str(line[0]),
        "line": line[1],
    }


def chart_data(rep: Report) -> dict[str, Any]:
    return bar_and_line(
        [r.label for r in rep.rows],
        (gettext_lazy("Applications"), [r.applications for r in rep.rows]),
        (gettext_lazy("Granted (yuan)"), [r.granted_fen / 100 for r in rep.rows]),
    )


# --- push KPIs (the rows are tracking.push_kpis: policy × street × month) ---------------------


def _summed(label: str, rows: list[KpiRow]) -> KpiRow:
    return KpiRow(
        policy="",
        street="",
        month=label,
        pushes=sum(r.pushes for r in rows),
        opened=sum(r.opened for r in rows),
        applied=sum(r.applied for r in rows),
    )


def push_months(rows: list[KpiRow]) -> list[KpiRow]:
    """The push KPI rows summed per month, oldest first (``month`` the month)."""
    months: dict[str, list[KpiRow]] = defaultdict(list)
    for r in rows:
        months[r.month].append(r)
    return [_summed(m, months[m]) for m in sorted(months)]


def push_total(rows: list[KpiRow]) -> KpiRow:
    """All the rows summed (``month`` reads "Total")."""
    return _summed(str(gettext_lazy("Total")), rows)


def push_chart_data(rows: list[KpiRow]) -> dict[str, Any]:
    """Pushes (bars) and reach in percent (line) per month."""
    months = push_months(rows)
    return bar_and_line(
        [m.month for m in months],
        (gettext_lazy("Pushes"), [m.pushes for m in months]),
        (gettext_lazy("Reach rate (%)"), [m.reach for m in months]),
    )
