"""Reads for the commissioners' caseloads: who the commissioners are, each one's worklist of
contacts due, the workload across them, the cadence and the district's talent figures.

Every read is limited to the viewer's scope, and each runs a fixed number of queries whatever
the number of records (the tests compare small and larger data)."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Value
from django.http import Http404
from django.utils import timezone

from gridlight.core.access import Perm, Scope, Viewer, has_perm, is_public_user, roles, scope_for
from gridlight.core.models import Assignment, Role, User
from gridlight.talent.access import Unindexed, enterprises_visible, talents_visible
from gridlight.talent.models import (
    Cadence,
    Enterprise,
    EnterpriseTag,
    ProblemCategory,
    RdPlatform,
    ServiceLog,
    TagKind,
    TagLevel,
    Talent,
    TalentLevel,
)
from gridlight.talent.problems import solved_by_category

SOON_DAYS = 14
# The worklist's sections and which records each holds on a day, by next contact due.
SECTIONS = ("overdue", "soon", "later")


def _section_q(section: str, day: date) -> Q:
    """Which records a section holds on ``day``. A record with a commissioner and no due date
    was never contacted: it is overdue, first of all."""
    if section == "overdue":
        return Q(next_contact_due__lt=day) | Q(next_contact_due__isnull=True)
    if section == "soon":
        return Q(next_contact_due__gte=day, next_contact_due__lte=day + timedelta(days=SOON_DAYS))
    return Q(next_contact_due__gt=day + timedelta(days=SOON_DAYS))


def _cases(model: type[Talent] | type[Enterprise], viewer: Viewer) -> QuerySet[Any]:
    """The talents or enterprises ``viewer`` may see (the rule of ``talent.access``: staff by
    their view scope; caseload pages are staff pages, public users see none), to be narrowed by
    commissioner. The scope is compared on an expression rather than the column: a caseload is
    found through its commissioner (the index ``…_caseload``), and a district-wide scope is a
    range on the region index that SQLite would otherwise scan row by row (7 s at 100,000
    talents instead of milliseconds)."""
    if is_public_user(viewer):
        return model.objects.none()
    scope = scope_for(viewer, Perm.TALENT_VIEW)
    return model.objects.alias(scope_path=Unindexed("region_path")).filter(scope.q("scope_path"))


def commissioners_visible(viewer: Viewer) -> QuerySet[User]:
    """The talent commissioners whose caseloads ``viewer`` may see: for the district
    (``talent.assign``) those serving inside its scope; for a commissioner itself alone."""
    commissioners = Assignment.objects.filter(role=Role.TALENT_COMMISSIONER, active=True)
    scope = scope_for(viewer, Perm.TALENT_ASSIGN)
    if not scope.empty:
        ids = commissioners.filter(scope.q("write_region_path")).values("user_id")
    elif viewer.is_authenticated and Role.TALENT_COMMISSIONER in roles(viewer):
        ids = commissioners.filter(user_id=viewer.pk).values("user_id")
    else:
        return User.objects.none()
    return User.objects.filter(pk__in=ids, is_active=True).order_by("display_name", "pk")


def get_commissioner(viewer: Viewer, pk: Any) -> User:
    try:
        return commissioners_visible(viewer).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def may_arrange(viewer: Viewer) -> bool:
    """Whether ``viewer`` assigns and hands over caseloads (the district)."""
    return has_perm(viewer, Perm.TALENT_ASSIGN)


def commissioner_choices(viewer: Viewer, path: str = "") -> list[User]:
    """Active commissioners who take cases and serve ``path`` (any path when blank), among
    those ``viewer`` may arrange: the choices of the assignment and handover forms."""
    qs = (
        commissioners_visible(viewer).filter(commissioner_profile__active=True)
        if may_arrange(viewer)
        else User.objects.none()
    )
    if path:
        serving = Assignment.objects.filter(role=Role.TALENT_COMMISSIONER, active=True)
        roots = {path[:i] for i in range(len(path) + 1) if i == len(path) or path[i] == "."}
        qs = qs.filter(pk__in=serving.filter(write_region_path__in=roots).values("user_id"))
    return list(qs)


@dataclass
class CaseItem:
    kind: str  # "talent" or "enterprise"
    pk: int
    name: str
    level: str
    next_contact_due: date | None
    last_contact_on: date | None
    version: int
    days_overdue: int = 0


@dataclass
class CaseSection:
    """One worklist section over a commissioner's talents and key enterprises, most overdue
    first, as a sequence the paginator slices. Each table is read through the caseload index
    in due order and only as far as the page asked for; the two are merged here. Its size is
    the section's count from the caseload's figures (read from the index), not another query."""

    branches: list[QuerySet[Any]]
    size: int

    def count(self) -> int:
        return self.size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        stop = window.stop if window.stop is not None else self.size
        rows = heapq.merge(*(list(b[:stop]) for b in self.branches), key=_due_order)
        return list(itertools.islice(rows, stop))[window]


def _due_order(row: dict[str, Any]) -> tuple[Any, ...]:
    due = row["next_contact_due"]
    return (due is not None, due or date.min, row["name"], row["kind"], row["pk"])


def caseload_section(
    viewer: Viewer, commissioner: User, section: str, *, today: date, load: Load
) -> CaseSection:
    """One worklist section: ``overdue`` (most overdue first), ``soon`` (due within two
    weeks) or ``later`` (never due last); ``load`` is the commissioner's figures on ``today``
    (:func:`load_of`), whose counts size the sections."""
    columns = ("pk", "name", "next_contact_due", "last_contact_on", "version")
    order = (F("next_contact_due").asc(nulls_first=True), "name", "pk")
    # Each part a range of the caseload index: "never contacted" and "overdue" read apart.
    parts = (
        [Q(next_contact_due__isnull=True), Q(next_contact_due__lt=today)]
        if section == "overdue"
        else [_section_q(section, today)]
    )
    branches = []
    for q in parts:
        branches.append(
            _cases(Talent, viewer)
            .filter(q, commissioner_id=commissioner.pk)
            .annotate(kind=Value("talent"), lvl=F("level"))
            .values(*columns, "kind", "lvl")
            .order_by(*order)
        )
        branches.append(
            _cases(Enterprise, viewer)
            .filter(q, commissioner_id=commissioner.pk)
            .annotate(kind=Value("enterprise"), lvl=Value(""))
            .values(*columns, "kind", "lvl")
            .order_by(*order)
        )
    sizes = {"overdue": load.overdue, "soon": load.soon}
    size = sizes.get(section, load.total - load.overdue - load.soon)
    return CaseSection(branches, size)


def case_items(rows: Any, today: date) -> list[CaseItem]:
    items = []
    for r in rows:
        due = r["next_contact_due"]
        items.append(
            CaseItem(
                kind=r["kind"],
                pk=r["pk"],
                name=r["name"],
                level=r["lvl"],
                next_contact_due=due,
                last_contact_on=r["last_contact_on"],
                version=r["version"],
                days_overdue=(today - due).days if due is not None and due < today else 0,
            )
        )
    return items


@dataclass
class Load:
    """One commissioner's caseload in figures."""

    commissioner: User
    office_phone: str = ""
    active: bool = False
    by_level: dict[str, int] = field(default_factory=dict)
    enterprises: int = 0
    overdue: int = 0
    soon: int = 0
    contacts_this_month: int = 0

    @property
    def talents(self) -> int:
        return sum(self.by_level.values())

    @property
    def total(self) -> int:
        return self.talents + self.enterprises

    def levels(self) -> list[tuple[str, int]]:
        return [(level, self.by_level.get(level, 0)) for level in TalentLevel.values]


@dataclass
class Workload:
    loads: list[Load]
    unassigned_talents: int
    unassigned_enterprises: int
    month_start: date


def _due_counts(day: date, column: str) -> dict[str, Count]:
    """A caseload's overdue and due-soon counts on ``day``, counting ``column``: one never null
    in the rows counted and held by the caseload index read (PostgreSQL's indexes do not hold
    the key, and ``COUNT(id)`` would visit the table)."""
    soon = day + timedelta(days=SOON_DAYS)
    return {
        "overdue": Count(column, filter=_section_q("overdue", day)),
        "soon": Count(column, filter=Q(next_contact_due__gte=day, next_contact_due__lte=soon)),
    }


def workload(viewer: Viewer, *, today: date | None = None) -> Workload:
    """Each visible commissioner's cases by level, overdue and due-soon counts and contacts
    this month, plus the talents and key enterprises nobody serves yet: five queries.

    The talents' counts are one grouped query (per commissioner and level, with the due
    counts) read from the covering index ``talent_caseload_level`` through its first column,
    the commissioners: on PostgreSQL the index's way needs the planner to know how many rows
    the scope's expression (:class:`~gridlight.talent.access.Unindexed`) keeps, which the
    statistics of migration ``talent/0007`` tell it (without them it guessed a few hundred,
    scanned the table and sorted 100,000 rows on disk)."""
    day = today or timezone.localdate()
    month = day.replace(day=1)
    users = list(commissioners_visible(viewer).select_related("commissioner_profile"))
    loads = {u.pk: Load(u) for u in users}
    for u in users:
        profile = getattr(u, "commissioner_profile", None)
        loads[u.pk].office_phone = profile.office_phone if profile else ""
        loads[u.pk].active = bool(profile and profile.active)
    ids = list(loads)
    for row in (
        _cases(Talent, viewer)
        .filter(commissioner_id__in=ids)
        .values("commissioner_id", "level")
        .annotate(n=Count("commissioner_id"), **_due_counts(day, "commissioner_id"))
        .order_by()
    ):
        load = loads[row["commissioner_id"]]
        load.by_level[row["level"]] = row["n"]
        load.overdue += row["overdue"]
        load.soon += row["soon"]
    for row in (
        _cases(Enterprise, viewer)
        .filter(commissioner_id__in=ids)
        .values("commissioner_id")
        .annotate(n=Count("commissioner_id"), **_due_counts(day, "commissioner_id"))
        .order_by()
    ):
        load = loads[row["commissioner_id"]]
        load.enterprises = row["n"]
        load.overdue += row["overdue"]
        load.soon += row["soon"]
    view = scope_for(viewer, Perm.TALENT_VIEW)
    for row in (
        ServiceLog.objects.filter(view.q("region_path"), commissioner_id__in=ids, on__gte=month)
        .values("commissioner_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        loads[row["commissioner_id"]].contacts_this_month = row["n"]
    unassigned = _cases(Talent, viewer).filter(commissioner__isnull=True).count()
    key = EnterpriseTag.objects.filter(kind=TagKind.KEY_INTRODUCED).values("enterprise_id")
    unassigned_e = _cases(Enterprise, viewer).filter(commissioner__isnull=True, pk__in=key).count()
    return Workload([loads[u.pk] for u in users], unassigned, unassigned_e, month)


def load_of(viewer: Viewer, commissioner: User, *, today: date) -> Load:
    """One commissioner's figures (the caseload page's head): three queries."""
    load = Load(commissioner)
    for row in (
        _cases(Talent, viewer)
        .filter(commissioner_id=commissioner.pk)
        .values("level")
        .annotate(n=Count("commissioner_id"), **_due_counts(today, "commissioner_id"))
        .order_by()
    ):
        load.by_level[row["level"]] = row["n"]
        load.overdue += row["overdue"]
        load.soon += row["soon"]
    e = (
        _cases(Enterprise, viewer)
        .filter(commissioner_id=commissioner.pk)
        .aggregate(n=Count("commissioner_id"), **_due_counts(today, "commissioner_id"))
    )
    load.enterprises = e["n"]
    load.overdue += e["overdue"]
    load.soon += e["soon"]
    view = scope_for(viewer, Perm.TALENT_VIEW)
    load.contacts_this_month = ServiceLog.objects.filter(
        view.q("region_path"), commissioner_id=commissioner.pk, on__gte=today.replace(day=1)
    ).count()
    return load


def service_log(
    viewer: Viewer, *, talent_id: int | None = None, enterprise_id: int | None = None
) -> QuerySet[ServiceLog]:
    """A talent's or an enterprise's contacts, newest first, as far as ``viewer`` may see the
    record (the caller has resolved it through ``talent.access``)."""
    scope: Scope = scope_for(viewer, Perm.TALENT_VIEW)
    qs = ServiceLog.objects.filter(scope.q("region_path")).select_related("commissioner")
    if talent_id is not None:
        return qs.filter(talent_id=talent_id)
    return qs.filter(enterprise_id=enterprise_id or 0)


def cadences() -> list[Cadence]:
    """The cadence rows, talent levels first and key enterprises last."""
    rows = list(Cadence.objects.all())
    return sorted(rows, key=lambda c: (c.level == "", c.level))


@dataclass
class Figures:
    """The district's talent figures (FACTS.md §3, ★), each counted from the records."""

    talents: int
    key_enterprises: int
    key_srdi: int  # key enterprises brought in that are municipal-or-higher 专精特新
    listing_reserve: int
    municipal_platforms: int
    problems_solved: int
    solved_by_category: dict[str, int]


SRDI_LEVELS = (TagLevel.MUNICIPAL, TagLevel.PROVINCIAL, TagLevel.NATIONAL)


def figures(viewer: Viewer) -> Figures:
    """The talent figures within ``viewer``'s scope: five queries."""
    enterprises = enterprises_visible(viewer).values("pk")
    tags = EnterpriseTag.objects.filter(enterprise_id__in=enterprises)
    key = tags.filter(kind=TagKind.KEY_INTRODUCED).values("enterprise_id")
    counts = tags.aggregate(
        key=Count("pk", filter=Q(kind=TagKind.KEY_INTRODUCED)),
        reserve=Count("pk", filter=Q(kind=TagKind.LISTING_RESERVE)),
    )
    key_srdi = tags.filter(kind=TagKind.SRDI, level__in=SRDI_LEVELS, enterprise_id__in=key).count()
    platforms = RdPlatform.objects.filter(enterprise_id__in=enterprises, level="municipal").count()
    solved = solved_by_category(viewer)
    return Figures(
        talents=talents_visible(viewer).count(),
        key_enterprises=counts["key"],
        key_srdi=key_srdi,
        listing_reserve=counts["reserve"],
        municipal_platforms=platforms,
        problems_solved=sum(solved.values()),
        solved_by_category={c: solved.get(c, 0) for c in ProblemCategory.values},
    )
