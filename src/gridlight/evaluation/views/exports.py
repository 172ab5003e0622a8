"""Excel exports (through core/exports.py): a round's ranking and its score sheets — the ones the
user may read (sealed sheets stay out until the round closes) —, the year's standings and
echelon, and the streets' evaluation tasks (in the task import's columns)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from gridlight.core import exports
from gridlight.core.access import Perm, SignedInRequest, Viewer, access, scoped
from gridlight.core.models import RegionLevel, User
from gridlight.core.params import parse_id
from gridlight.core.spreadsheets import Column
from gridlight.evaluation import access as eval_access
from gridlight.evaluation import imports, selectors
from gridlight.evaluation.models import CycleYear, Round, StreetTask
from gridlight.evaluation.services import plain


def _round(user: Viewer, params: QueryDict) -> Round:
    pk = parse_id(params.get("round", ""))
    if pk is None:
        raise Http404
    return eval_access.get_visible(Round.objects.all(), user, pk=pk)


@access(Perm.EVALUATION_VIEW)
def round_export(request: SignedInRequest, pk: int) -> HttpResponse:
    # The builder reads the round from the query, as a background job will (core/exports.py).
    query = request.GET.copy()
    query["round"] = str(pk)
    request.GET = query  # type: ignore[assignment]
    return exports.respond(request, "evaluation.round")


@exports.register("evaluation.round")
def _export(user: User, params: QueryDict) -> exports.Export:
    round_ = _round(user, params)
    criteria = list(round_.criteria.all())
    entrants = list(eval_access.entrants_with_results(user, round_).order_by("rank", "order"))
    sheets = list(eval_access.sheets(user, round_).order_by("entrant__order", "judge_id"))
    columns = [
        Column("part", "部分", "Part"),
        Column("entrant", "参赛单位", "Entrant"),
        Column("judge", "评委", "Judge"),
        Column("rank", "名次", "Rank"),
        Column("total", "总分", "Total"),
        Column("status", "状态", "Status"),
        *(Column(f"c{c.pk}", c.name, c.name) for c in criteria),
    ]

    def rows() -> Iterator[list[Any]]:
        for e in entrants:
            means = e.breakdown.get("means", {})
            yield [
                _("Ranking"),
                e.region.name,
                "",
                e.rank,
                e.total,
                "",
                *(means.get(str(c.pk)) for c in criteria),
            ]
        for s in sheets:
            yield [
                _("Score sheet"),
                s.entrant.region.name,
                str(s.judge.user),
                "",
                "",
                s.get_status_display(),
                *(s.scores.get(str(c.pk)) for c in criteria),
            ]

    return exports.Export(
        sheet=round_.title[:31],
        columns=columns,
        rows=rows(),
        count=len(entrants) + len(sheets),
        filename=f"round-{round_.pk}.xlsx",
    )


def _cycle(user: Viewer, params: QueryDict) -> CycleYear:
    pk = parse_id(params.get("year", ""))
    if pk is None:
        raise Http404
    return eval_access.get_visible(CycleYear.objects.all(), user, pk=pk)


def _with_year(request: SignedInRequest, pk: int) -> None:
    query = request.GET.copy()
    query["year"] = str(pk)
    request.GET = query  # type: ignore[assignment]


@access(Perm.EVALUATION_VIEW)
def standings_export(request: SignedInRequest, pk: int) -> HttpResponse:
    _with_year(request, pk)
    return exports.respond(request, "evaluation.standings")


@exports.register("evaluation.standings")
def _standings(user: User, params: QueryDict) -> exports.Export:
    """The annual ranking, the echelon, and the arenas' published results by quarter — what
    the user may see, as on the standings page."""
    cycle = _cycle(user, params)
    streets = list(selectors.standings(user, cycle, RegionLevel.STREET))
    communities = list(selectors.standings(user, cycle, RegionLevel.COMMUNITY))
    columns = [
        Column("part", "部分", "Part"),
        Column("code", "区域编码", "Region code"),
        Column("region", "区域", "Region"),
        Column("rank", "名次", "Rank"),
        Column("total", "总分", "Total"),
        Column("tier", "梯队", "Tier"),
        Column("arenas", "季度擂台", "Arenas"),
        Column("assessment", "半年评估", "Assessment"),
        Column("observation", "年底观摩", "Observation"),
    ]

    def rows() -> Iterator[list[Any]]:
        for s in streets:
            parts = s.breakdown or {}
            yield [
                _("Annual ranking"),
                s.region.code,
                s.region.name,
                s.rank,
                s.total,
                "",
                parts.get("arenas"),
                parts.get("assessment"),
                parts.get("observation"),
            ]
        for s in communities:
            yield [
                _("Community echelon"),
                s.region.code,
                s.region.name,
                s.rank,
                s.total,
                s.get_tier_display(),
                "",
                "",
                "",
            ]

    return exports.Export(
        sheet=f"{cycle.year}"[:31],
        columns=columns,
        rows=rows(),
        count=len(streets) + len(communities),
        filename=f"standings-{cycle.year}.xlsx",
    )


@access(Perm.EVALUATION_VIEW)
def tasks_export(request: SignedInRequest, pk: int) -> HttpResponse:
    _with_year(request, pk)
    return exports.respond(request, "evaluation.tasks")


@exports.register("evaluation.tasks")
def _tasks(user: User, params: QueryDict) -> exports.Export:
    """The streets' tasks the user sees, in the import's columns: a round trip changes
    nothing (the days they were done are on the tasks page)."""
    cycle = _cycle(user, params)
    tasks = scoped(StreetTask.objects.filter(cycle=cycle), user, Perm.EVALUATION_VIEW)
    ordered = list(tasks.select_related("street").order_by("region_path", "pk"))
    columns = list(imports.COLUMNS)

    def rows() -> Iterator[list[Any]]:
        for t in ordered:
            yield [cycle.year, t.street.code, t.title, plain(t.weight)]

    return exports.Export(
        sheet=imports.SHEET,
        columns=columns,
        rows=rows(),
        count=len(ordered),
        filename=f"tasks-{cycle.year}.xlsx",
    )
