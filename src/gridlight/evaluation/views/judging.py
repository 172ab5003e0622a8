"""Judging on a phone: a judge's list of entrants (recused ones marked) and the sheet form; the
managers' close and publish. Sheets go through services.sheet_save, which refuses a recused
entrant, a score out of range, a second sheet and a sealed one with nothing written."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core.access import Perm, SignedInRequest, access
from gridlight.core.views.common import submit
from gridlight.evaluation import access as eval_access
from gridlight.evaluation import services
from gridlight.evaluation.forms import SheetForm
from gridlight.evaluation.models import Recusal, Round, Sheet
from gridlight.evaluation.views.common import step, version_of


def _round(request: SignedInRequest, pk: int) -> Round:
    return eval_access.get_visible(
        Round.objects.select_related("event__cycle"), request.user, pk=pk
    )


@access(Perm.EVALUATION_JUDGE)
def score_list(request: SignedInRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    judge = eval_access.judge_of(request.user, round_)
    if judge is None:
        raise PermissionDenied
    recused = set(Recusal.objects.filter(judge=judge).values_list("entrant_id", flat=True))
    mine = {s.entrant_id: s for s in Sheet.objects.filter(judge=judge)}
    rows = [(e, e.pk in recused, mine.get(e.pk)) for e in round_.entrants.select_related("region")]
    return render(
        request,
        "evaluation/score_list.html",
        {"round": round_, "cycle": round_.event.cycle, "rows": rows},
    )


@access(Perm.EVALUATION_JUDGE)
def score_sheet(request: SignedInRequest, pk: int, entrant_pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    judge = eval_access.judge_of(request.user, round_)
    entrant = round_.entrants.select_related("region").filter(pk=entrant_pk).first()
    if judge is None or entrant is None:
        raise Http404
    sheet = Sheet.objects.filter(judge=judge, entrant=entrant).first()
    criteria = list(round_.criteria.all())
    initial: dict[str, object] = {}
    if sheet is not None:
        initial = {f"c{k}": v for k, v in sheet.scores.items()}
        initial |= {"note": sheet.note, "version": sheet.version}
    form = SheetForm(request.POST or None, criteria=criteria, initial=initial)
    done, status = submit(
        request,
        form,
        lambda d: services.sheet_save(
            actor=request.user,
            round_=round_,
            entrant=entrant,
            scores=form.scores(),
            version=d["version"] if sheet is not None else None,
            confirm=d["confirm"],
            note=d["note"],
        ),
    )
    if done is not None:
        messages.success(request, _("Sheet saved."))
        return redirect("evaluation:score_list", pk=round_.pk)
    return render(
        request,
        "evaluation/score_sheet.html",
        {
            "round": round_,
            "cycle": round_.event.cycle,
            "entrant": entrant,
            "sheet": sheet,
            "form": form,
        },
        status=status,
    )


@require_POST
@access(Perm.EVALUATION_MANAGE)
def round_step(request: SignedInRequest, pk: int, name: str) -> HttpResponse:
    round_ = _round(request, pk)
    actions = {
        "close": (services.round_close, _("The round is closed and its results computed.")),
        "publish": (services.round_publish, _("The results are published.")),
    }
    if name not in actions:
        raise Http404
    action, success = actions[name]
    version = version_of(request)
    step(request, lambda: action(actor=request.user, round_=round_, version=version), success)
    return redirect("evaluation:round", pk=round_.pk)
