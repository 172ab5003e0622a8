"""Reading stored matches and pushes: a policy's matches with filters, a subject's policies,
the reminder worklist, push KPIs, and "policies for me" in the portal.

Staff lists are limited to the matches of subjects inside the caller's ``policy.view`` scope
(the subject's region path), and to policies the caller may see. The portal reads only the
signed-in talent's or enterprise's own matches, and shows no staff names or notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import CharField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf, Substr, TruncMonth
from django.utils import timezone

from gridlight.core.access import Perm, Viewer, require
from gridlight.core.industries import Industry
from gridlight.core.models import Region, RegionLevel
from gridlight.core.models.regions import SEGMENT_WIDTH
from gridlight.core.workdays import district_calendar
from gridlight.policies.access import policies_visible
from gridlight.policies.definition import STATES
from gridlight.policies.models import Grant, Match, MatchState, MatchStatus, Policy, Push
from gridlight.rules.subjects import get_subject

STREET_WIDTH = SEGMENT_WIDTH * 2 + 1


def subject_industry(prefix: str = "") -> Coalesce:
    """The industry of a record's subject, in SQL (two left joins: the enterprise, the
    talent's employer): an enterprise's own, a talent's employer's, else "other". ``prefix``
    reaches the record's ``talent`` and ``enterprise`` (``"match__"`` from a push)."""
    return Coalesce(
        NullIf(F(f"{prefix}enterprise__industry"), Value("")),
        NullIf(F(f"{prefix}talent__employer__industry"), Value("")),
        Value(Industry.OTHER.value),
        output_field=CharField(),
    )


def industry_label(code: str) -> str:
    return str(Industry(code).label) if code in Industry.values else code


def matches_visible(user: Viewer) -> QuerySet[Match]:
    """Matches of subjects inside the caller's ``policy.view`` scope, of visible policies."""
    scope = require(user, Perm.POLICY_VIEW)
    return Match.objects.filter(scope.q("region_path"), policy__in=policies_visible(user))


@dataclass
class MatchFilter:
    state: str = ""  # met / unknown / not_met
    status: str = ""  # current / withdrawn / superseded
    tracking: str = ""  # pushed / not_pushed / opened / applied / reminder
    street: str = ""  # a street's path
    new: bool = False


def policy_matches(user: Viewer, policy: Policy, f: MatchFilter | None = None) -> QuerySet[Match]:
    """One policy's matches in the caller's scope, filtered, with their subject's name."""
    f = f or MatchFilter()
    qs = matches_visible(user).filter(policy=policy)
    if f.state in MatchState.values:
        qs = qs.filter(state=f.state)
    if f.status in MatchStatus.values:
        qs = qs.filter(status=f.status)
    else:
        qs = qs.exclude(status=MatchStatus.SUPERSEDED)
    if f.tracking == "pushed":
        qs = qs.filter(pushed_at__isnull=False)
    elif f.tracking == "not_pushed":
        qs = qs.filter(pushed_at__isnull=True)
    elif f.tracking == "opened":
        qs = qs.filter(opened_at__isnull=False)
    elif f.tracking == "applied":
        qs = qs.filter(applied_at__isnull=False)
    elif f.tracking == "reminder":
        qs = qs.filter(_reminder_q())
    if f.street:
        qs = qs.filter(region_path__startswith=f.street)
    if f.new:
        qs = qs.filter(is_new=True)
    return qs.select_related("talent", "enterprise", "version").order_by(
        "region_path", "subject_id"
    )


def subject_matches(subject_type: str, subject_id: int) -> QuerySet[Match]:
    """Every stored match of one subject (the caller fetched the subject through its access
    function), newest version first; superseded ones included, marked."""
    return (
        Match.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .select_related("policy", "version")
        .order_by("status", "policy__code", "-version__number")
    )


def reminder_workdays() -> int:
    return int(getattr(settings, "GRIDLIGHT_PUSH_REMINDER_WORKDAYS", 5))


def reminder_cutoff(today: date | None = None, workdays: int | None = None) -> datetime:
    """Pushed before this moment and still not opened nor applied: a reminder is due (the
    configured number of working days, counted on the district's work calendar)."""
    today = today or timezone.localdate()
    n = reminder_workdays() if workdays is None else workdays
    day = district_calendar().subtract_workdays(today, n)
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _reminder_q(today: date | None = None, workdays: int | None = None) -> Q:
    return Q(
        status=MatchStatus.CURRENT,
        state=MatchState.MET,
        pushed_at__lt=reminder_cutoff(today, workdays),
        opened_at__isnull=True,
        applied_at__isnull=True,
    )


def reminders(user: Viewer, *, workdays: int | None = None) -> QuerySet[Match]:
    """The commissioners' worklist: pushed, neither opened nor applied after N working days."""
    return (
        matches_visible(user)
        .filter(_reminder_q(workdays=workdays))
        .select_related("policy", "talent", "enterprise")
        .order_by("pushed_at", "policy__code")
    )


@dataclass
class KpiRow:
    policy: str
    street: str
    month: str
    pushes: int
    opened: int
    applied: int
    industry: str = ""  # the subject's (kpi.subject_industry), as its label

    @property
    def reach(self) -> float | None:
        return round(100 * self.opened / self.pushes, 1) if self.pushes else None


def push_kpis(
    user: Viewer,
    *,
    since: date | None = None,
    policy: Policy | None = None,
    industry: bool = False,
) -> list[KpiRow]:
    """Pushes, reach (opened) and applications per policy, street and month of the push — and
    per industry of the subject (``kpi.subject_industry``) when ``industry``: two more joins
    and five times the rows, so only when asked — over the caller's scope: one grouped
    query."""
    scope = require(user, Perm.POLICY_VIEW)
    qs = Push.objects.filter(scope.q("region_path"), policy__in=policies_visible(user))
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if policy is not None:
        qs = qs.filter(policy=policy)
    rows = (
        qs.annotate(
            street=Substr("region_path", 1, STREET_WIDTH),
            industry=subject_industry("match__") if industry else Value(""),
            month=TruncMonth("created_at"),
        )
        .values("policy__title", "street", "industry", "month")
        .annotate(
            pushes=Count("id"),
            opened=Count("id", filter=Q(match__opened_at__isnull=False)),
            applied=Count("id", filter=Q(match__applied_at__isnull=False)),
        )
        .order_by("-month", "policy__title", "street", "industry")
    )
    rows_list = list(rows)
    names = dict(
        Region.objects.filter(path__in={r["street"] for r in rows_list}).values_list("path", "name")
    )
    return [
        KpiRow(
            r["policy__title"],
            names.get(r["street"], r["street"]),
            r["month"].strftime("%Y-%m") if r["month"] else "",
            r["pushes"],
            r["opened"],
            r["applied"],
            industry_label(r["industry"]) if industry else "",
        )
        for r in rows_list
    ]


def street_choices(user: Viewer) -> list[tuple[str, str]]:
    scope = require(user, Perm.POLICY_VIEW)
    qs = Region.objects.filter(scope.q("path"), level=RegionLevel.STREET).order_by(
        "sort_order", "code"
    )
    return [(r.path, r.name) for r in qs]


# --- the portal ------------------------------------------------------------------------------


@dataclass
class Mine:
    """One policy as the subject sees it: no staff names, no internal notes."""

    match: Match
    missing_labels: list[str]

    @property
    def state(self) -> str:
        return self.match.state

    # What ``definition.rank_missing`` reads (only offered matches are listed).
    @property
    def missing(self) -> frozenset[str]:
        return frozenset(self.match.missing or [])

    already_receives = False

    @property
    def superseded_by(self) -> str:
        return self.match.superseded_by


def my_policies(subject_type: str, subject_id: int) -> list[Mine]:
    """The current, offered matches of the signed-in subject: matched first, then possibly
    matched with what is missing. Applied: ``Match.applied_at``, set by the application
    workflow. A policy the subject already receives is not offered (its grant is
    :func:`my_grants`)."""
    labels = {n: str(s.label) for n, s in get_subject(subject_type).fields().items()}
    qs = (
        Match.objects.filter(
            subject_type=subject_type,
            subject_id=subject_id,
            status=MatchStatus.CURRENT,
            offered=True,
        )
        .select_related("policy", "version")
        .order_by("state", "policy__code")
    )
    return [Mine(m, [labels.get(f, f) for f in m.missing or []]) for m in qs]


def my_grants(subject_type: str, subject_id: int) -> QuerySet[Grant]:
    """The subject's grants (received, or cancelled with a reason), newest first."""
    fk = "talent_id" if subject_type == "talent" else "enterprise_id"
    return Grant.objects.filter(subject_type=subject_type, **{fk: subject_id}).select_related(
        "policy", "policy_version"
    )[:50]


def explanation_lines(match: Match) -> list[dict[str, Any]]:
    """The verdict of the stored snapshot, condition by condition, re-derived from the
    immutable version: label, state, and the values used with their source and day."""
    from gridlight.policies.definition import PolicyDefinitionError, compile_policy

    snap = match.explanation or {}
    values: dict[str, Any] = dict(snap.get("values") or {})
    values["tags"] = set(values.get("tags") or [])
    values.setdefault("grades", {})
    subject = get_subject(match.subject_type)
    try:
        compiled = compile_policy(match.version.definition, subject, code=match.policy.code)
    except PolicyDefinitionError:
        return []
    by_label = {str(s.label): n for n, s in subject.fields().items()}
    sources = snap.get("sources") or {}
    out: list[dict[str, Any]] = []

    def walk(v: Any, depth: int) -> None:
        seen = []
        if not v.parts:
            for label, value in v.seen.items():
                src = sources.get(by_label.get(str(label), "tags")) or [None, None]
                seen.append(
                    {"label": str(label), "value": value, "source": src[0], "as_of": src[1]}
                )
        out.append({"label": v.label, "state": STATES[v.state], "depth": depth, "seen": seen})
        for part in v.parts:
            walk(part, depth + 1)

    walk(compiled.condition.evaluate(values), 0)
    return out
