"""The evaluation cycle: rounds with their results and sheets (sealed as on the pages), a
judge's sheet entry, and the 一街一品 board — through evaluation/access.py, selectors and
services like the pages."""

from datetime import date
from typing import Any

from django.http import Http404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import SignedInRequest
from gridlight.evaluation import access, selectors, services
from gridlight.evaluation.models import CycleYear, Round

router = Router(tags=["evaluation"])


class Message(Schema):
    detail: str


class RoundOut(Schema):
    id: int
    title: str
    kind: str
    level: int
    status: str
    held_on: date
    trim: int
    trim_min: int
    version: int

    @staticmethod
    def resolve_held_on(obj: Any) -> date:
        held_on: date = obj["held_on"] if isinstance(obj, dict) else obj.event.held_on
        return held_on


class CriterionOut(Schema):
    id: int
    name: str
    weight: str
    min_score: str
    max_score: str


class EntrantOut(Schema):
    id: int
    region_code: str
    region_name: str
    rank: int | None
    total: str | None
    judges: int | None


class RoundDetailOut(RoundOut):
    criteria: list[CriterionOut]
    results: list[EntrantOut]


class SheetOut(Schema):
    id: int
    entrant_id: int
    judge: str
    status: str
    scores: dict[str, str]
    version: int


class SheetIn(Schema):
    entrant_id: int
    scores: dict[str, str] = Field(description="criterion id → score (a decimal, as text)")
    confirm: bool = False
    note: str = Field("", max_length=200)
    version: int | None = Field(None, description="the sheet's version, to change a draft")


class BoardRowOut(Schema):
    street_code: str
    street_name: str
    project: str | None
    brand: str | None
    focus_area: str | None
    milestones: int
    done: int
    progress: float | None
    planned: float | None


def _round(request: SignedInRequest, round_id: int) -> Round:
    return access.get_visible(Round.objects.select_related("event"), request.user, pk=round_id)


@router.get("/evaluation/rounds", response=list[RoundOut], summary="Judged rounds")
@paginate(Pagination)
def list_rounds(request: SignedInRequest, year: int | None = None) -> Any:
    qs = access.rounds(request.user).select_related("event").order_by("event__held_on", "pk")
    return qs.filter(event__cycle__year=year) if year is not None else qs


@router.get("/evaluation/rounds/{round_id}", response=RoundDetailOut)
def get_round(request: SignedInRequest, round_id: int) -> dict[str, Any]:
    r = _round(request, round_id)
    results = [
        {
            "id": e.pk,
            "region_code": e.region.code,
            "region_name": e.region.name,
            "rank": e.rank,
            "total": None if e.total is None else str(e.total),
            "judges": e.breakdown.get("judges"),
        }
        for e in access.entrants_with_results(request.user, r).order_by("rank", "order")
    ]
    criteria = [
        {
            "id": c.pk,
            "name": c.name,
            "weight": str(c.weight),
            "min_score": str(c.min_score),
            "max_score": str(c.max_score),
        }
        for c in r.criteria.all()
    ]
    basics = {f: getattr(r, f) for f in ("id", "title", "kind", "level", "status", "version")}
    basics |= {"held_on": r.event.held_on, "trim": r.trim, "trim_min": r.trim_min}
    return {**basics, "criteria": criteria, "results": results}


@router.get("/evaluation/rounds/{round_id}/sheets", response=list[SheetOut])
def list_sheets(request: SignedInRequest, round_id: int) -> list[dict[str, Any]]:
    r = _round(request, round_id)
    return [
        {
            "id": s.pk,
            "entrant_id": s.entrant_id,
            "judge": str(s.judge.user),
            "status": s.status,
            "scores": s.scores,
            "version": s.version,
        }
        for s in access.sheets(request.user, r).order_by("entrant__order", "judge_id")
    ]


@router.post(
    "/evaluation/rounds/{round_id}/sheets",
    response={201: SheetOut, 200: SheetOut, 400: Message, 409: Message},
    summary="A judge's sheet: write it, change a draft (with its version), or confirm and seal",
)
def save_sheet(request: SignedInRequest, round_id: int, payload: SheetIn) -> Status[dict[str, Any]]:
    r = _round(request, round_id)
    entrant = r.entrants.filter(pk=payload.entrant_id).first()
    if entrant is None:
        raise Http404
    sheet = services.sheet_save(
        actor=request.user,
        round_=r,
        entrant=entrant,
        scores=payload.scores,
        version=payload.version,
        confirm=payload.confirm,
        note=payload.note,
    )
    body = {
        "id": sheet.pk,
        "entrant_id": sheet.entrant_id,
        "judge": str(request.user),
        "status": sheet.status,
        "scores": sheet.scores,
        "version": sheet.version,
    }
    return Status(201 if payload.version is None else 200, body)


@router.get("/evaluation/years/{year_id}/board", response=list[BoardRowOut])
def board(request: SignedInRequest, year_id: int) -> list[dict[str, Any]]:
    cycle = access.get_visible(CycleYear.objects.all(), request.user, pk=year_id)
    return [
        {
            "street_code": row.street.code,
            "street_name": row.street.name,
            "project": row.brand.project if row.brand else None,
            "brand": row.brand.brand if row.brand else None,
            "focus_area": row.brand.focus_area if row.brand else None,
            "milestones": row.milestones,
            "done": row.done,
            "progress": row.progress,
            "planned": row.planned,
        }
        for row in selectors.board(request.user, cycle)
    ]
