"""Reads of the evaluation cycle, already limited to the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from gridlight.core.access import Perm, Viewer, scoped
from gridlight.core.models import Region, RegionLevel, ServicePosition
from gridlight.evaluation import access
from gridlight.evaluation.models import (
    INDICATORS,
    ActionItem,
    Assessment,
    AssessmentScore,
    CycleYear,
    Entrant,
    RoundKind,
    RoundStatus,
    Standing,
    StreetBrand,
)


@dataclass
class BoardRow:
    """A street's line on the district's 一街一品 board."""

    street: Region
    brand: StreetBrand | None
    milestones: int = 0
    done: int = 0
    weight: int = 0
    done_weight: int = 0
    due_weight: int = 0  # the weight planned by today (序时)

    @property
    def progress(self) -> float | None:
        """Weighted share of milestones done, in percent (None: no milestones yet)."""
        return 100 * self.done_weight / self.weight if self.weight else None

    @property
    def planned(self) -> float | None:
        return 100 * self.due_weight / self.weight if self.weight else None

    @property
    def behind(self) -> bool:
        return self.weight > 0 and self.done_weight < self.due_weight


def brands_with_progress(qs: QuerySet[StreetBrand], day: date) -> QuerySet[StreetBrand]:
    return qs.annotate(
        n_milestones=Count("milestones"),
        n_done=Count("milestones", filter=Q(milestones__done_on__isnull=False)),
        w_total=Sum("milestones__weight", default=0),
        w_done=Sum("milestones__weight", filter=Q(milestones__done_on__lte=day), default=0),
        w_due=Sum("milestones__weight", filter=Q(milestones__planned_on__lte=day), default=0),
    )


def board(user: Viewer, cycle: CycleYear, *, day: date | None = None) -> list[BoardRow]:
    """The streets the user sees (all of them for the district and evaluators, a street its
    own) with their entry and its computed progress, in two queries."""
    day = day or timezone.localdate()
    streets = list(
        access.district_visible(
            Region.objects.filter(parent_id=cycle.district_id, level=RegionLevel.STREET),
            user,
            "path",
        ).order_by("sort_order", "path")
    )
    brands = {
        b.street_id: b
        for b in brands_with_progress(
            access.district_visible(StreetBrand.objects.filter(cycle=cycle), user), day
        )
    }
    rows = []
    for street in streets:
        b = brands.get(street.pk)
        if b is None:
            rows.append(BoardRow(street, None))
            continue
        rows.append(
            BoardRow(
                street,
                b,
                b.n_milestones,  # type: ignore[attr-defined]
                b.n_done,  # type: ignore[attr-defined]
                b.w_total,  # type: ignore[attr-defined]
                b.w_done,  # type: ignore[attr-defined]
                b.w_due,  # type: ignore[attr-defined]
            )
        )
    return rows


def action_items(user: Viewer, cycle: CycleYear) -> QuerySet[ActionItem]:
    return scoped(
        ActionItem.objects.filter(event__cycle=cycle).select_related("event", "street"),
        user,
        Perm.EVALUATION_VIEW,
    )


def overdue(qs: QuerySet[ActionItem], day: date) -> QuerySet[ActionItem]:
    return qs.filter(done_on__isnull=True, due_on__lt=day)


def standings(user: Viewer, cycle: CycleYear, level: int) -> QuerySet[Standing]:
    """The year's standings at a level that the user sees: the district all, a street its own
    (and its communities)."""
    return access.scoped_scores(
        Standing.objects.filter(cycle=cycle, level=level).select_related("region"), user
    ).order_by("rank", "region_path")


def rank_over_quarters(user: Viewer, cycle: CycleYear) -> dict[str, Any]:
    """Each street's rank in each quarter's arena whose ranking the user may see."""
    quarters: list[str] = []
    series: dict[str, list[int | None]] = {}
    rounds = (
        access.rounds(user)
        .filter(event__cycle=cycle, kind=RoundKind.ARENA, level=RegionLevel.STREET)
        .exclude(status=RoundStatus.OPEN)
        .select_related("event")
        .order_by("event__held_on", "pk")
    )
    visible = [r for r in rounds if access.ranking_visible(user, r)]
    ranks = {
        (e.round_id, e.region.name): e.rank
        for e in Entrant.objects.filter(round__in=visible).select_related("region")
    }
    names = sorted({name for _r, name in ranks}, key=str)
    for r in visible:
        quarters.append(f"Q{r.event.number}")
    for name in names:
        series[name] = [ranks.get((r.pk, name)) for r in visible]
    return {"quarters": quarters, "series": series}


def radar(user: Viewer, cycle: CycleYear) -> dict[str, Any]:
    """The latest computed half-year assessment's indicator values per street the user sees."""

    latest = (
        access.district_visible(Assessment.objects.filter(event__cycle=cycle), user)
        .exclude(computed_at=None)
        .order_by("-computed_at")
        .first()
    )
    if latest is None:
        return {"indicators": [], "streets": {}}
    codes = list(latest.weights)
    streets = {
        s.region.name: [
            next((b["value"] for b in s.breakdown if b["code"] == code), None) for code in codes
        ]
        for s in access.scoped_scores(
            AssessmentScore.objects.filter(assessment=latest).select_related("region"), user
        )
    }
    return {"indicators": [str(INDICATORS[c]) for c in codes], "streets": streets}


POSITION_MATCHES = 20


def positions_to_inspect(user: Viewer, q: str = "") -> list[ServicePosition]:
    """The service positions the user may inspect (their ``evaluation.manage`` scope) whose
    name, code or address contains ``q``, in region order: the inspection form's search, so the
    form never lists the district's thousands at once. At most :data:`POSITION_MATCHES` + 1 (the
    one more tells that there are more); one query whatever the number of positions."""
    qs = scoped(
        ServicePosition.objects.select_related("region"), user, Perm.EVALUATION_MANAGE
    ).order_by("region_path", "name", "pk")
    words = q.strip()[:60]
    if words:
        qs = qs.filter(
            Q(name__icontains=words) | Q(code__icontains=words) | Q(address__icontains=words)
        )
    return list(qs[: POSITION_MATCHES + 1])
