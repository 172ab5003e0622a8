"""The evaluation cycle's read pages: the years, the 一街一品 board, the meetings with their
action items, the judged rounds with their results and sheets, and the half-year assessment.
Every object is fetched through evaluation/access.py (404 out of scope)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from gridlight.core.access import Perm, SignedInRequest, access, has_perm, scope_for
from gridlight.core.models import RegionLevel
from gridlight.evaluation import access as eval_access
from gridlight.evaluation import selectors
from gridlight.evaluation.models import (
    INDICATORS,
    Assessment,
    AssessmentScore,
    CycleYear,
    EventKind,
    Round,
)


def _cycle(request: SignedInRequest, pk: int) -> CycleYear:
    return eval_access.get_visible(
        CycleYear.objects.select_related("district"), request.user, pk=pk
    )


@access(Perm.EVALUATION_VIEW)
def cycle_index(request: SignedInRequest) -> HttpResponse:
    cycles = list(eval_access.cycles(request.user).select_related("district"))
    manage = scope_for(request.user, Perm.EVALUATION_MANAGE)
    return render(
        request,
        "evaluation/index.html",
        {
            "cycles": cycles,
            "manages_any": not manage.empty,
            "managed": {c.pk for c in cycles if manage.contains(c.region_path)},
        },
    )


@access(Perm.EVALUATION_VIEW)
def board(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    rows = selectors.board(request.user, cycle)
    reports = has_perm(request.user, Perm.EVALUATION_REPORT)
    return render(
        request, "evaluation/board.html", {"cycle": cycle, "rows": rows, "reports": reports}
    )


@access(Perm.EVALUATION_VIEW)
def meetings(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    events = eval_access.events(request.user).filter(cycle=cycle, kind=EventKind.MEETING)
    items = selectors.action_items(request.user, cycle).order_by("due_on", "pk")
    today = timezone.localdate()
    return render(
        request,
        "evaluation/meetings.html",
        {
            "cycle": cycle,
            "events": events,
            "items": items,
            "overdue": selectors.overdue(items, today).count(),
            "today": today,
        },
    )


@access(Perm.EVALUATION_VIEW)
def rounds(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    listed = eval_access.rounds(request.user).filter(event__cycle=cycle).select_related("event")
    return render(request, "evaluation/rounds.html", {"cycle": cycle, "rounds": listed})


@access(Perm.EVALUATION_VIEW)
def round_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    round_ = eval_access.get_visible(
        Round.objects.select_related("event__cycle"), request.user, pk=pk
    )
    entrants = eval_access.entrants_with_results(request.user, round_).order_by("rank", "order")
    criteria = list(round_.criteria.all())
    sheets = eval_access.sheets(request.user, round_).order_by("entrant__order", "judge_id")
    rows = [(s, [s.scores.get(str(c.pk), "") for c in criteria]) for s in sheets]
    judges = (
        round_.judges.select_related("user")
        if eval_access.ranking_visible(request.user, round_)
        and eval_access.sees_district(request.user, round_.region_path)
        else []
    )
    return render(
        request,
        "evaluation/round.html",
        {
            "round": round_,
            "cycle": round_.event.cycle,
            "criteria": criteria,
            "entrants": entrants,
            "sheets": rows,
            "judges": judges,
            "is_judge": eval_access.judge_of(request.user, round_) is not None,
            "manages": eval_access.manages(request.user, round_.region_path),
        },
    )


@access(Perm.EVALUATION_VIEW)
def assessment(request: SignedInRequest, pk: int) -> HttpResponse:
    row = eval_access.get_visible(
        Assessment.objects.select_related("event__cycle"), request.user, pk=pk
    )
    scores = eval_access.scoped_scores(
        AssessmentScore.objects.filter(assessment=row).select_related("region"), request.user
    )
    return render(
        request,
        "evaluation/assessment.html",
        {
            "assessment": row,
            "cycle": row.event.cycle,
            "scores": scores,
            "labels": {k: str(v) for k, v in INDICATORS.items()},
            "manages": eval_access.manages(request.user, row.region_path),
        },
    )


@access(Perm.EVALUATION_VIEW)
def standings(request: SignedInRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    return render(
        request,
        "evaluation/standings.html",
        {
            "cycle": cycle,
            "streets": selectors.standings(request.user, cycle, RegionLevel.STREET),
            "communities": selectors.standings(request.user, cycle, RegionLevel.COMMUNITY),
            "manages": eval_access.manages(request.user, cycle.region_path),
            "chart": {
                "ranks": selectors.rank_over_quarters(request.user, cycle),
                "radar": selectors.radar(request.user, cycle),
            },
        },
    )
