"""Who may see or change what in the evaluation cycle (on top of core/access.py's scope layer).

- The district's cycle (years, events, rounds, their criteria and entrants) is visible to anyone
  holding ``evaluation.view`` inside that district: a street sees the calendar it takes part in.
- Records of a street or community (brands, milestones, action items, tasks, cadres, scores of
  the half-year assessment and the annual standing) are visible in the view scope as usual.
- Score sheets are **sealed**: until a round closes only the judge who wrote a sheet sees it.
  After it closes those who see the whole district (evaluators, the district) see every sheet
  and the results; after it is published everybody in the district sees the ranking, and a
  street sees the sheets written about itself.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from gridlight.core.access import Perm, Scope, Viewer, get_scoped, require, scope_for
from gridlight.evaluation.models import (
    CycleYear,
    Entrant,
    Event,
    Judge,
    Round,
    RoundStatus,
    Sheet,
)

M = TypeVar("M", bound=Model)


def _ancestors(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def around(scope: Scope, field: str = "region_path") -> Q:
    """Rows whose path lies inside the scope or above one of its roots (the district's own
    records, seen by a street that belongs to it)."""
    above = {a for root in scope.paths for a in _ancestors(root)}
    return scope.q(field) | Q(**{f"{field}__in": sorted(above)})


def district_visible(qs: QuerySet[M], user: Viewer, field: str = "region_path") -> QuerySet[M]:
    """District-level records (years, events, rounds) the user takes part in; 403 if
    ``evaluation.view`` is held nowhere."""
    return qs.filter(around(require(user, Perm.EVALUATION_VIEW), field))


def get_visible(qs: QuerySet[M], user: Viewer, **lookup: Any) -> M:
    try:
        return district_visible(qs, user).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_managed(qs: QuerySet[M], user: Viewer, pk: int) -> M:
    """A record the user may change as the cycle's manager (``evaluation.manage``), or 404."""
    return get_scoped(qs, user, Perm.EVALUATION_MANAGE, pk=pk)


def get_reported(qs: QuerySet[M], user: Viewer, pk: int) -> M:
    """A record the user's street or community reports on (``evaluation.report``), or 404."""
    return get_scoped(qs, user, Perm.EVALUATION_REPORT, pk=pk)


def cycles(user: Viewer) -> QuerySet[CycleYear]:
    return district_visible(CycleYear.objects.all(), user)


def events(user: Viewer) -> QuerySet[Event]:
    return district_visible(Event.objects.all(), user)


def rounds(user: Viewer) -> QuerySet[Round]:
    return district_visible(Round.objects.all(), user)


def sees_district(user: Viewer, district_path: str) -> bool:
    """Whether the user sees all of the district (evaluators and the district itself)."""
    return scope_for(user, Perm.EVALUATION_VIEW).contains(district_path)


def manages(user: Viewer, district_path: str) -> bool:
    return scope_for(user, Perm.EVALUATION_MANAGE).contains(district_path)


def judge_of(user: Viewer, round_: Round) -> Judge | None:
    if not user.is_authenticated:
        return None
    return Judge.objects.filter(round=round_, user_id=user.pk).first()


def ranking_visible(user: Viewer, round_: Round) -> bool:
    """All entrants' totals and ranks: to the whole district once published, to those who see
    the whole district once closed."""
    if round_.status == RoundStatus.PUBLISHED:
        return True
    return round_.status == RoundStatus.CLOSED and sees_district(user, round_.region_path)


def entrants_with_results(user: Viewer, round_: Round) -> QuerySet[Entrant]:
    """The entrants whose result the user may see (none while the round is open)."""
    qs = round_.entrants.select_related("region")
    if ranking_visible(user, round_):
        return qs
    return qs.none()


def sheets(user: Viewer, round_: Round) -> QuerySet[Sheet]:
    """The sheets of a round the user may read: their own always; after the close every sheet
    for those who see the district; after publication the sheets about their own region."""
    qs = Sheet.objects.filter(round=round_).select_related(
        "judge__user", "entrant__region", "imported_by"
    )
    own = Q(judge__user=user) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    if round_.status == RoundStatus.OPEN:
        return qs.filter(own)
    if sees_district(user, round_.region_path):
        return qs
    if round_.status == RoundStatus.PUBLISHED:
        return qs.filter(own | scope_for(user, Perm.EVALUATION_VIEW).q("region_path"))
    return qs.filter(own)


def scoped_scores(qs: QuerySet[M], user: Viewer) -> QuerySet[M]:
    """Per-street scores (assessment, standings): a street sees its own, the district all."""
    return qs.filter(require(user, Perm.EVALUATION_VIEW).q("region_path"))
