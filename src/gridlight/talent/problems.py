"""Talent problems (问题快速闭环 for talents and enterprises): raising one, the commissioners'
list, and the "problems solved" KPI.

A problem is a ticket of the tickets app (submitted through ``tickets.services.submit``, so it
runs the tickets' own checks, deadlines and audit) in a talent-service category, plus a
``TalentProblem`` naming the talent or enterprise and the commissioner who follows it, plus a
``ServiceLog`` entry of kind "problem" linked to the ticket — all in one transaction.

"Solved" is the tickets' own definition: the ticket is closed with the reason "resolved"
(``CloseReason.RESOLVED``, which ``tickets.services.rate`` sets when the person says the problem
was solved, and the dispatcher sets closing a followed-up ticket as resolved). It is counted from
the tickets in the month the ticket was closed, never kept as a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.access import Perm, Viewer, is_public_user, require, scope_for
from gridlight.core.crypto import decrypt
from gridlight.core.errors import DomainError
from gridlight.core.models import Assignment, Role, User
from gridlight.talent.access import Unindexed
from gridlight.talent.models import (
    ContactKind,
    Enterprise,
    EnterpriseAccount,
    ProblemCategory,
    ProblemMonth,
    ServiceLog,
    Talent,
    TalentProblem,
)
from gridlight.tickets import services as tickets
from gridlight.tickets.models import OPEN_STATUSES, Category, CloseReason, Source, Status

# Each talent problem category is raised as a ticket of this category of the tickets' catalogue
# (tickets/catalogue.py; the talent app's migration 0002 seeds the four it lacked).
CATEGORY_CODES: dict[str, str] = {
    ProblemCategory.SCHOOL: "school_enrolment",
    ProblemCategory.APARTMENT: "talent_housing",
    ProblemCategory.SPOUSE_JOB: "spouse_job",
    ProblemCategory.HUKOU: "hukou",
    ProblemCategory.MEDICAL: "talent_medical",
    ProblemCategory.TRAVEL: "talent_travel",
    ProblemCategory.POLICY: "talent_consult",
    ProblemCategory.OTHER: "talent_other",
}
assert set(CATEGORY_CODES) == set(ProblemCategory.values)

# A problem is solved when its ticket is closed as resolved (see the module's docstring).
# (Every talent-service ticket is a talent ticket: saying so lets the database read the solved
# ones from their own index, ``ticket_talent_solved``.)
SOLVED = Q(
    ticket__talent=True, ticket__status=Status.CLOSED, ticket__close_reason=CloseReason.RESOLVED
)


class NotYours(DomainError):
    """The record is not the actor's own (public) or outside the actor's scope (staff): 404, so
    that a record's existence is not confirmed."""

    status = 404


audit.register_actions(
    "talent_problem", gettext_lazy("Talent problem"), {"raise": gettext_lazy("raised")}
)


# --- raising a problem ------------------------------------------------------------------------


def _owns(actor: User, talent: Talent | None, enterprise: Enterprise | None) -> bool:
    if talent is not None:
        return bool(talent.user_id is not None and talent.user_id == actor.pk)
    assert enterprise is not None
    return EnterpriseAccount.objects.filter(user_id=actor.pk, enterprise_id=enterprise.pk).exists()


def _requester(talent: Talent | None, enterprise: Enterprise | None) -> User | None:
    """Whom a ticket raised for a record is the requester of: the talent's own sign-in, or the
    enterprise's first account, so that the talent or enterprise follows and rates the problem
    its commissioner raised for it (None: the record has no sign-in yet)."""
    if talent is not None:
        return talent.user
    account = (
        EnterpriseAccount.objects.filter(enterprise=enterprise)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return account.user if account is not None else None


def may_raise_for(actor: User, record: Talent | Enterprise) -> bool:
    """Staff who may raise a problem for ``record``: its responsible commissioner (in its view
    scope), or the district (who assigns commissioners there)."""
    if scope_for(actor, Perm.TALENT_ASSIGN).contains(record.region_path):
        return True
    if record.commissioner_id is None or record.commissioner_id != actor.pk:
        return False
    return scope_for(actor, Perm.TALENT_VIEW).contains(record.region_path)


def raise_problem(
    *,
    actor: User,
    talent: Talent | None = None,
    enterprise: Enterprise | None = None,
    category: str,
    title: str,
    description: str,
) -> TalentProblem:
    """Raise a problem of a talent or an enterprise (exactly one): by the talent or enterprise
    user for its own record, or by the record's commissioner (or the district) for it. Creates
    the ticket (source talent), the ``TalentProblem`` followed by the record's commissioner and a
    service log entry of kind "problem" linked to the ticket, in one transaction, audited.

    Refuses a record that is not the actor's (404), a record without a commissioner, an unknown
    category, and whatever the tickets' intake refuses (empty title, …)."""
    if (talent is None) == (enterprise is None):
        raise DomainError(_("Name either a talent or an enterprise."))
    record: Talent | Enterprise = talent if talent is not None else enterprise  # type: ignore[assignment]
    if not getattr(actor, "is_authenticated", False):
        raise NotYours(_("Not found, or outside your scope."))
    if is_public_user(actor):
        if not _owns(actor, talent, enterprise):
            raise NotYours(_("Not found, or outside your scope."))
    elif not may_raise_for(actor, record):
        raise NotYours(
            _(
                "Only the responsible commissioner or the district may raise a problem "
                "for this record."
            )
        )
    if category not in CATEGORY_CODES:
        raise DomainError(_("Choose one of the talent problem categories."))
    if record.commissioner_id is None:
        raise DomainError(
            _("No commissioner is assigned to %(name)s yet: the district assigns one first.")
            % {"name": record.name}
        )
    ticket_category = Category.objects.filter(code=CATEGORY_CODES[category], active=True).first()
    if ticket_category is None:
        raise DomainError(_("This problem category is not open at the moment."))
    with transaction.atomic():
        ticket = tickets.submit(
            actor=actor,
            intake=tickets.Intake(
                category=ticket_category,
                region=record.street,
                title=title,
                description=description,
                requester_name=record.name,
                requester_phone=decrypt(talent.phone_enc) if talent and talent.phone_enc else "",
                source=Source.TALENT,
                on_behalf_of=_requester(talent, enterprise),
            ),
        )
        problem = TalentProblem.objects.create(
            ticket=ticket,
            talent=talent,
            enterprise=enterprise,
            region_path=record.region_path,
            category=category,
            commissioner_id=record.commissioner_id,
            created_at=ticket.created_at,
        )
        ServiceLog.objects.create(
            talent=talent,
            enterprise=enterprise,
            region_path=record.region_path,
            commissioner_id=record.commissioner_id,
            kind=ContactKind.PROBLEM,
            on=timezone.localdate(ticket.created_at),
            notes=ticket.title,
            ticket=ticket,
        )
        audit.record(
            actor=actor,
            action="talent_problem.raise",
            obj=problem,
            region_path=record.region_path,
            changes={"category": [None, category], "ticket": [None, ticket.number]},
        )
    return problem


# --- reading problems -------------------------------------------------------------------------


def problems_visible(user: Viewer) -> QuerySet[TalentProblem]:
    """The problems ``user`` may see: in its talent.view scope for staff; for a talent or an
    enterprise user, its own record's only."""
    if not user.is_authenticated:
        return TalentProblem.objects.none()
    if is_public_user(user):
        return TalentProblem.objects.filter(
            Q(talent__user_id=user.pk)
            | Q(
                enterprise__in=EnterpriseAccount.objects.filter(user_id=user.pk).values(
                    "enterprise"
                )
            )
        )
    return TalentProblem.objects.filter(scope_for(user, Perm.TALENT_VIEW).q("region_path"))


def solved_problems(viewer: Viewer) -> QuerySet[TalentProblem]:
    """The problems ``viewer`` may see that are solved (:data:`SOLVED`), whenever closed: the
    one definition the figures, the portal and the KPI (:func:`solved_report`, by month
    closed) count."""
    return problems_visible(viewer).filter(SOLVED)


ProblemStatus = Literal["", "open", "closed"]


@dataclass(frozen=True)
class ProblemFilters:
    category: str = ""
    status: ProblemStatus = ""
    commissioner: int | None = None
    enterprise: int | None = None  # the enterprise's own problems and its talents'
    month: date | None = None  # raised in this month
    q: str = ""  # in the title


def problem_list(user: Viewer, f: ProblemFilters) -> QuerySet[TalentProblem]:
    """The commissioners' list: problems in ``user``'s talent scope (403 if it has none),
    newest first, filtered, with everything a row shows joined in (a fixed number of queries
    whatever the page holds)."""
    # The scope on an unindexed expression: the list walks the index of its order
    # (``talentproblem_created``) and stops after a page, rather than sorting the scope.
    scope = require(user, Perm.TALENT_VIEW)
    qs = TalentProblem.objects.alias(scope_path=Unindexed("region_path")).filter(
        scope.q("scope_path")
    )
    if f.category:
        qs = qs.filter(category=f.category)
    if f.status == "open":
        qs = qs.filter(ticket__status__in=OPEN_STATUSES)
    elif f.status == "closed":
        qs = qs.filter(ticket__status=Status.CLOSED)
    if f.commissioner is not None:
        qs = qs.filter(commissioner_id=f.commissioner)
    if f.enterprise is not None:
        qs = qs.filter(_of_enterprise(f.enterprise))
    if f.month is not None:
        start, end = _month_bounds(f.month, f.month)
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    if f.q.strip():
        qs = qs.filter(ticket__title__icontains=f.q.strip())
    return qs.select_related(
        "ticket", "ticket__category", "ticket__unit", "talent", "enterprise", "commissioner"
    ).order_by("-created_at", "-id")


def _of_enterprise(pk: int) -> Q:
    """An enterprise's own problems and its talents' (each side through its own index)."""
    return Q(enterprise_id=pk) | Q(talent_id__in=Talent.objects.filter(employer_id=pk).values("pk"))


def commissioners_in(user: Viewer) -> list[tuple[int, str]]:
    """The commissioners whose assignment touches ``user``'s talent scope (the list's filter):
    read from the few commissioners' assignments, not from the problems."""
    scope = require(user, Perm.TALENT_VIEW)
    held = Assignment.objects.filter(role=Role.TALENT_COMMISSIONER, active=True).values_list(
        "user_id", "region_path"
    )
    ids = {
        pk
        for pk, path in held
        if path and (scope.contains(path) or any(r.startswith(path + ".") for r in scope.paths))
    }
    return [(u.pk, str(u)) for u in User.objects.filter(pk__in=ids).order_by("display_name", "pk")]


# --- the KPI: problems solved -----------------------------------------------------------------

Dimension = Literal["commissioner", "category", "enterprise", "month"]
DIMENSIONS: dict[str, Promise] = {
    "commissioner": gettext_lazy("Commissioner"),
    "category": gettext_lazy("Category"),
    "enterprise": gettext_lazy("Enterprise"),
    "month": gettext_lazy("Month"),
}


def _month_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the first moment of ``start``'s month to the first of the month after ``end``'s,
    in the district's time zone."""
    first = start.replace(day=1)
    after = date(end.year + end.month // 12, end.month % 12 + 1, 1)
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(first, time.min), tz),
        timezone.make_aware(datetime.combine(after, time.min), tz),
    )


MAX_MONTHS = 60


def shift_month(month: date, n: int) -> date:
    """The first day of the month ``n`` months after (before, if negative) ``month``'s."""
    months = month.year * 12 + month.month - 1 + n
    return date(months // 12, months % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    months = []
    m = start.replace(day=1)
    while m <= end.replace(day=1):
        months.append(m)
        m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return months


@dataclass
class SolvedRow:
    key: Any
    label: str
    solved: int = 0
    raised: int = 0


@dataclass
class SolvedReport:
    by: Dimension
    start: date
    end: date
    rows: list[SolvedRow]
    total: SolvedRow
    trend: list[SolvedRow] = field(default_factory=list)  # every month of the period


_KEYS: dict[str, Any] = {
    "commissioner": F("commissioner_id"),
    "category": F("category"),
    "enterprise": Coalesce("enterprise_id", "talent__employer_id"),
}


def solved_report(
    user: Viewer,
    *,
    by: Dimension,
    start: date,
    end: date,
    category: str = "",
    commissioner: int | None = None,
    enterprise: int | None = None,
) -> SolvedReport:
    """Problems solved (tickets closed as resolved, by the month closed) and problems raised
    (by the month raised) per commissioner, category, enterprise (its own problems and its
    talents') or month, over ``user``'s talent scope (403 if none). Two grouped queries over
    the period and one for the rows' names, whatever the data."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension: {by!r}")
    lo, hi = _month_bounds(start, end)
    base = TalentProblem.objects.filter(require(user, Perm.TALENT_VIEW).q("region_path"))
    if category:
        base = base.filter(category=category)
    if commissioner is not None:
        base = base.filter(commissioner_id=commissioner)
    if enterprise is not None:
        base = base.filter(_of_enterprise(enterprise))
    months = months_between(start, end)
    per_key: dict[Any, SolvedRow] = {}
    per_month = {m: SolvedRow(m, f"{m:%Y-%m}") for m in months}
    if enterprise is None and by != "enterprise":
        counted = _counted_from_months(user, by, months, category, commissioner)
    else:
        counted = _counted_from_problems(base, by, months, lo, hi)
    for key, month, attr, n in counted:
        if not n:
            continue
        row = per_key.setdefault(key, SolvedRow(key, ""))
        setattr(row, attr, getattr(row, attr) + n)
        target = per_month[month]
        setattr(target, attr, getattr(target, attr) + n)
    labels = _labels(by, set(per_key))
    ordered = [per_key[k] for k, _label in labels]
    for row, (_k, label) in zip(ordered, labels, strict=True):
        row.label = label
    if by != "month":
        ordered.sort(key=lambda r: (-r.solved, -r.raised, r.label))
    total = SolvedRow(None, _("Total"))
    total.solved = sum(r.solved for r in ordered)
    total.raised = sum(r.raised for r in ordered)
    return SolvedReport(
        by=by,
        start=start.replace(day=1),
        end=end.replace(day=1),
        rows=ordered,
        total=total,
        trend=list(per_month.values()),
    )


Counted = list[tuple[Any, date, str, int]]  # key, month, "solved" or "raised", how many


def _counted_from_months(
    user: Viewer, by: Dimension, months: list[date], category: str, commissioner: int | None
) -> Counted:
    """The report's counts read from the monthly counts (:class:`ProblemMonth`, kept equal to
    :data:`SOLVED` counted by the database's triggers): one grouped query over a few thousand
    rows rather than every problem of the period joined with its ticket."""
    qs = ProblemMonth.objects.filter(
        require(user, Perm.TALENT_VIEW).q("region_path"),
        month__gte=months[0],
        month__lte=months[-1],
    )
    # The level of the roll-ups the report needs (see ProblemMonth).
    if category:
        qs = qs.filter(category=category)
    elif by == "category":
        qs = qs.exclude(category=ProblemMonth.ALL_CATEGORIES)
    else:
        qs = qs.filter(category=ProblemMonth.ALL_CATEGORIES)
    if commissioner is not None:
        qs = qs.filter(commissioner_id=commissioner)
    elif by == "commissioner":
        qs = qs.exclude(commissioner_id=ProblemMonth.ALL_COMMISSIONERS)
    else:
        qs = qs.filter(commissioner_id=ProblemMonth.ALL_COMMISSIONERS)
    key = {"commissioner": "commissioner_id", "category": "category", "month": "month"}[by]
    grouped = qs.values_list(key, "month").annotate(s=Sum("solved"), r=Sum("raised")).order_by()
    counted: Counted = []
    for k, month, solved, raised in grouped:
        counted += [(k, month, "solved", solved), (k, month, "raised", raised)]
    return counted


def _counted_from_problems(
    base: QuerySet[TalentProblem], by: Dimension, months: list[date], lo: datetime, hi: datetime
) -> Counted:
    """The report's counts from the problems themselves (by enterprise, whose key is the
    talent's present employer, or for one enterprise): two grouped queries over the period."""
    solved = base.filter(SOLVED, ticket__closed_at__gte=lo, ticket__closed_at__lt=hi)
    raised = base.filter(created_at__gte=lo, created_at__lt=hi)
    counted: Counted = []
    for qs, attr, when in (
        (solved, "solved", "ticket__closed_at"),
        (raised, "raised", "created_at"),
    ):
        # One pass, a count per month: plain comparisons of the stored instant with each
        # month's bounds in the district's time zone (no per-row time-zone function, the same
        # SQL on both databases).
        counts = _per_month(when, months)
        if by == "month":
            found = qs.aggregate(**counts)
            counted += [(m, m, attr, found[f"m{i}"]) for i, m in enumerate(months)]
        else:
            grouped = qs.annotate(k=_KEYS[by]).values("k").annotate(**counts).order_by()
            counted += [
                (r["k"], m, attr, r[f"m{i}"]) for r in grouped for i, m in enumerate(months)
            ]
    return counted


def solved_by_category(viewer: Viewer) -> dict[str, int]:
    """Problems solved (:func:`solved_problems`), whenever closed, per category: for staff read
    from the monthly counts (:class:`ProblemMonth`, kept equal to that definition) over the
    viewer's scope; for a talent or enterprise user counted from its own problems."""
    if not viewer.is_authenticated:
        return {}
    if is_public_user(viewer):
        own = solved_problems(viewer).values_list("category").annotate(n=Count("pk"))
        return dict(own.order_by())
    # Read through the roll-up's commissioner index (a few thousand rows over the years), the
    # scope compared on each: a district-wide range of the path index walks every commissioner's
    # rows too (90,000 at 100,000 problems, 0.1 s).
    months = (
        ProblemMonth.objects.alias(scope_path=Unindexed("region_path"))
        .filter(
            scope_for(viewer, Perm.TALENT_VIEW).q("scope_path"),
            commissioner_id=ProblemMonth.ALL_COMMISSIONERS,
        )
        .exclude(category=ProblemMonth.ALL_CATEGORIES)
        .values_list("category")
        .annotate(n=Sum("solved"))
    )
    return {category: n for category, n in months.order_by() if n}


def _per_month(when: str, months: list[date]) -> dict[str, Count]:
    counts = {}
    for i, m in enumerate(months):
        lo, hi = _month_bounds(m, m)
        counts[f"m{i}"] = Count("id", filter=Q(**{f"{when}__gte": lo, f"{when}__lt": hi}))
    return counts


def _labels(by: Dimension, keys: set[Any]) -> list[tuple[Any, str]]:
    if by == "month":
        return [(k, f"{k:%Y-%m}") for k in sorted(keys)]
    ids = [k for k in keys if k is not None]
    named: list[tuple[Any, str]]
    if by == "category":
        names = dict(ProblemCategory.choices)
        named = [(k, str(names.get(k, k))) for k in ProblemCategory.values if k in keys]
    elif by == "commissioner":
        named = [(u.pk, str(u)) for u in User.objects.filter(pk__in=ids).order_by("pk")]
    else:
        named = list(Enterprise.objects.filter(pk__in=ids).values_list("pk", "name"))
    found = {k for k, _n in named}
    named += [(k, f"#{k}") for k in sorted(k for k in ids if k not in found)]
    if None in keys:
        label = _("(talents of no registered enterprise)") if by == "enterprise" else _("(none)")
        named.append((None, label))
    return named


def chart_data(report: SolvedReport) -> dict[str, Any]:
    """What static/gridlight/talent_kpi.js draws: solved and raised per row, and per month."""
    return {
        "names": [r.label for r in report.rows],
        "solved": [r.solved for r in report.rows],
        "raised": [r.raised for r in report.rows],
        "months": [r.label for r in report.trend],
        "trend_solved": [r.solved for r in report.trend],
        "trend_raised": [r.raised for r in report.trend],
        "solved_label": _("Problems solved"),
        "raised_label": _("Problems raised"),
    }
