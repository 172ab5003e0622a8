"""Excel exports of a round (through core/exports.py): its ranking, and its score sheets — the
ones the user may read (sealed sheets stay out until the round closes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from gridlight.core import exports
from gridlight.core.access import Perm, SignedInRequest, Viewer, access
from gridlight.core.models import User
from gridlight.core.params import parse_id
from gridlight.core.spreadsheets import Column
from gridlight.evaluation import access as eval_access
from gridlight.evaluation.models import Round


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
