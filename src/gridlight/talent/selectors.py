"""Reads for enterprise and talent profiles, limited to what the user may see (talent/access.py):
the lists with their search and filters, and what a detail page shows. Every list is a fixed
number of queries whatever its length (tests/talent/test_pages.py counts them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from gridlight.core.access import Perm, Viewer, scope_for
from gridlight.core.idcard import InvalidIdNumber, parse_id
from gridlight.core.models import Region, RegionLevel, Role, User
from gridlight.core.models.regions import subtree
from gridlight.core.personal import Shown, id_index, shown
from gridlight.talent.access import enterprises_visible, talents_visible
from gridlight.talent.family import SchoolStage, school_stage
from gridlight.talent.models import (
    Child,
    Enterprise,
    EnterpriseTag,
    RdPlatform,
    ServiceLog,
    Talent,
)


@dataclass(frozen=True)
class EnterpriseFilter:
    q: str = ""
    industry: str = ""
    tag: str = ""
    tag_level: str = ""
    tag_stage: str = ""
    street: Region | None = None
    commissioner: int | None = None


def enterprise_list(user: Viewer, f: EnterpriseFilter | None = None) -> QuerySet[Enterprise]:
    """Enterprises the user may see, searched by name (from its start or anywhere) or credit
    code (from its start), filtered by industry, tag (and its level or listing stage), street
    and commissioner; with their tags and commissioner loaded (two queries per page, whatever
    its length)."""
    f = f or EnterpriseFilter()
    qs = enterprises_visible(user)
    q = f.q.strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(credit_code__startswith=q.upper()))
    if f.industry:
        qs = qs.filter(industry=f.industry)
    if f.tag or f.tag_level or f.tag_stage:
        tags = EnterpriseTag.objects.all()
        if f.tag:
            tags = tags.filter(kind=f.tag)
        if f.tag_level:
            tags = tags.filter(level=f.tag_level)
        if f.tag_stage:
            tags = tags.filter(stage=f.tag_stage)
        qs = qs.filter(pk__in=tags.values("enterprise_id"))
    if f.street is not None:
        qs = qs.filter(subtree("region_path", f.street.path))
    if f.commissioner is not None:
        qs = qs.filter(commissioner_id=f.commissioner)
    return qs.select_related("street", "commissioner").prefetch_related(
        Prefetch("tags", queryset=EnterpriseTag.objects.order_by("kind"))
    )


@dataclass(frozen=True)
class TalentFilter:
    q: str = ""
    level: str = ""
    origin: str = ""
    degree: str = ""
    street: Region | None = None
    employer: int | None = None
    commissioner: int | None = None
    overdue: bool = False


def talent_list(
    user: Viewer, f: TalentFilter | None = None, *, today: date | None = None
) -> QuerySet[Talent]:
    """Talents the user may see, searched by name (from its start) or exact ID number (through
    its keyed hash), filtered by level, how they came, degree, street, employer, commissioner
    and overdue contact (next contact due before today)."""
    f = f or TalentFilter()
    qs = talents_visible(user)
    q = f.q.strip()
    if q:
        index = _id_lookup(q)
        if index is not None:
            qs = qs.filter(id_number_index=index)
        else:
            qs = qs.filter(name__startswith=q)
    if f.level:
        qs = qs.filter(level=f.level)
    if f.origin:
        qs = qs.filter(origin=f.origin)
    if f.degree:
        qs = qs.filter(degree=f.degree)
    if f.street is not None:
        qs = qs.filter(subtree("region_path", f.street.path))
    if f.employer is not None:
        qs = qs.filter(employer_id=f.employer)
    if f.commissioner is not None:
        qs = qs.filter(commissioner_id=f.commissioner)
    if f.overdue:
        qs = qs.filter(next_contact_due__lt=today or timezone.localdate())
    return qs.select_related("street", "employer", "commissioner")


def _id_lookup(q: str) -> str | None:
    try:
        return id_index(parse_id(q).number)
    except InvalidIdNumber:
        return None


def streets_for(user: Viewer, perm: Perm = Perm.TALENT_VIEW) -> QuerySet[Region]:
    """The streets (and towns) inside the user's scope for ``perm``: a filter's or a form's
    choices."""
    scope = scope_for(user, perm)
    return Region.objects.filter(level=RegionLevel.STREET).filter(scope.q("path")).order_by("path")


def commissioners_for(user: Viewer) -> QuerySet[User]:
    """Talent commissioners whose assignment lies inside or above the user's view scope (those
    who may serve what the user sees): a filter's or a form's choices."""
    scope = scope_for(user, Perm.TALENT_VIEW)
    above = set()
    for path in scope.paths:
        parts = path.split(".")
        above |= {".".join(parts[:k]) for k in range(1, len(parts))}
    inside = scope.q("assignments__region_path")
    return (
        User.objects.filter(
            Q(assignments__role=Role.TALENT_COMMISSIONER, assignments__active=True)
            & (inside | Q(assignments__region_path__in=sorted(above))),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


# --- detail pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRow:
    child: Child
    stage: SchoolStage


def children_of(talent: Talent, today: date) -> list[ChildRow]:
    return [ChildRow(c, school_stage(c.birth_date, today)) for c in talent.children.all()]


def shown_talent(talent: Talent, today: date) -> Shown:
    return shown(talent, today)


def enterprise_detail(enterprise: Enterprise) -> dict[str, Any]:
    """What an enterprise's page shows besides itself: its tags, R&D platforms, the talents it
    employs (those the viewer may see) and its service timeline."""
    return {
        "tags": list(EnterpriseTag.objects.filter(enterprise=enterprise).order_by("kind")),
        "platforms": list(RdPlatform.objects.filter(enterprise=enterprise)),
        "service_logs": list(
            ServiceLog.objects.filter(enterprise=enterprise).select_related("commissioner")[:50]
        ),
    }


def employed_talents(user: Viewer, enterprise: Enterprise) -> QuerySet[Talent]:
    return talents_visible(user).filter(employer=enterprise).order_by("name", "id")


def talent_timeline(talent: Talent) -> list[ServiceLog]:
    return list(ServiceLog.objects.filter(talent=talent).select_related("commissioner")[:50])
