"""The evaluation cycle: rounds with their results and sheets (sealed as on the pages), a
judge's sheet entry, the 一街一品 board, and setting the cycle up (years and their plan, meetings'
attendance and action items, rounds with criteria, judges and conflicts, entries and milestones,
the streets' tasks, the assessment and the standings) — through evaluation/access.py, selectors
and services like the pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import Perm, SignedInRequest, get_scoped, scoped
from gridlight.core.errors import DomainError
from gridlight.core.models import Region, RegionLevel, User
from gridlight.evaluation import access, selectors, services
from gridlight.evaluation.models import (
    ActionItem,
    Assessment,
    CycleYear,
    Event,
    Judge,
    Milestone,
    Round,
    Standing,
    StreetBrand,
    StreetTask,
)

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


# --- setting up the cycle (the district's managers; a street its own entry and tasks done) -------
# Objects a write needs are fetched in the scope of the permission the write needs (404
# outside); the services check it again, validate, write with the version and audit.


class YearOut(Schema):
    id: int
    district_code: str
    year: int
    ranking_weights: dict[str, str]
    echelon_thresholds: dict[str, str]
    version: int


class YearIn(Schema):
    district_code: str
    year: int
    ranking_weights: dict[str, Decimal] | None = Field(
        None, description='{"arenas": 40, "assessment": 30, "observation": 30}, adding to 100'
    )
    echelon_thresholds: dict[str, Decimal] | None = Field(
        None, description='{"leading": 85, "advanced": 75}'
    )


class EventOut(Schema):
    id: int
    kind: str
    number: int
    title: str
    held_on: date
    agenda: str
    minutes: str
    version: int


class EventIn(Schema):
    held_on: date
    agenda: str = ""
    minutes: str = ""
    version: int


class AttendanceIn(Schema):
    street_code: str
    status: str = Field(description="present, excused or absent")
    attendee: str = Field("", max_length=60)


class ActionItemOut(Schema):
    id: int
    event_id: int
    street_code: str
    title: str
    owner_name: str
    workdays: int
    due_on: date
    done_on: date | None
    ticket_id: int | None
    version: int


class ActionItemIn(Schema):
    street_code: str
    title: str = Field(max_length=200)
    workdays: int = Field(description="working days after the meeting")
    owner_name: str = Field("", max_length=60)


class DoneIn(Schema):
    done_on: date | None
    version: int


class EscalateIn(Schema):
    category_code: str
    version: int


class CriterionIn(Schema):
    name: str
    weight: Decimal
    max_score: Decimal
    min_score: Decimal = Decimal(0)


class RoundIn(Schema):
    title: str = ""
    level: int = Field(1, description="1: streets compete, 2: communities")
    criteria: list[CriterionIn]
    entrant_codes: list[str] = Field(
        default_factory=list, description="blank: every street (or community) of the district"
    )
    trim: int = 1
    trim_min: int = 5
    deviation_z: Decimal = Decimal("2.5")


class JudgeIn(Schema):
    username: str


class JudgeOut(Schema):
    id: int
    username: str
    recused_entrant_ids: list[int]


class ConflictIn(Schema):
    judge_id: int
    entrant_id: int
    reason: str = Field(max_length=200)


class VersionIn(Schema):
    version: int


class BrandIn(Schema):
    street_code: str
    project: str = Field(max_length=120)
    brand: str = Field(max_length=60)
    focus_area: str
    goals: str = ""
    version: int | None = None


class BrandOut(Schema):
    id: int
    street_code: str
    project: str
    brand: str
    focus_area: str
    goals: str
    version: int


class MilestoneIn(Schema):
    title: str = Field(max_length=120)
    planned_on: date
    weight: int = 1


class MilestoneOut(Schema):
    id: int
    brand_id: int
    title: str
    planned_on: date
    done_on: date | None
    weight: int
    version: int


class TaskIn(Schema):
    title: str = Field(max_length=120)
    weight: Decimal


class TasksIn(Schema):
    street_code: str
    tasks: list[TaskIn]


class TaskOut(Schema):
    id: int
    street_code: str
    title: str
    weight: str
    done_on: date | None
    version: int


class AssessmentIn(Schema):
    period_start: date
    period_end: date
    weights: dict[str, Decimal] | None = None


class AssessmentOut(Schema):
    id: int
    event_id: int
    period_start: date
    period_end: date
    weights: dict[str, str]
    computed_at: datetime | None
    version: int


class StandingOut(Schema):
    region_code: str
    region_name: str
    level: int
    rank: int
    total: str
    tier: str
    breakdown: dict[str, Any]


def _year_out(c: CycleYear) -> dict[str, Any]:
    return {
        "id": c.pk,
        "district_code": c.district.code,
        "year": c.year,
        "ranking_weights": c.ranking_weights,
        "echelon_thresholds": c.echelon_thresholds,
        "version": c.version,
    }


def _event_out(e: Event) -> dict[str, Any]:
    return {
        f: getattr(e, f)
        for f in ("id", "kind", "number", "title", "held_on", "agenda", "minutes", "version")
    }


def _item_out(i: ActionItem) -> dict[str, Any]:
    return {
        "id": i.pk,
        "event_id": i.event_id,
        "street_code": i.street.code,
        "title": i.title,
        "owner_name": i.owner_name,
        "workdays": i.workdays,
        "due_on": i.due_on,
        "done_on": i.done_on,
        "ticket_id": i.ticket_id,
        "version": i.version,
    }


def _task_out(t: StreetTask) -> dict[str, Any]:
    return {
        "id": t.pk,
        "street_code": t.street.code,
        "title": t.title,
        "weight": services.plain(t.weight),
        "done_on": t.done_on,
        "version": t.version,
    }


def _street(cycle: CycleYear, code: str) -> Region:
    street = Region.objects.filter(
        parent_id=cycle.district_id, level=RegionLevel.STREET, code=code
    ).first()
    if street is None:
        raise DomainError(_("%(code)s is not a street of this district.") % {"code": code})
    return street


@router.get("/evaluation/years", response=list[YearOut], summary="Evaluation years")
def list_years(request: SignedInRequest) -> list[dict[str, Any]]:
    return [_year_out(c) for c in access.cycles(request.user).select_related("district")]


@router.post(
    "/evaluation/years",
    response={201: YearOut, 400: Message, 403: Message},
    summary="Create an evaluation year (ranking weights adding to 100, echelon thresholds)",
)
def create_year(request: SignedInRequest, payload: YearIn) -> Status[dict[str, Any]]:
    district = get_scoped(
        Region.objects.filter(level=RegionLevel.DISTRICT),
        request.user,
        Perm.EVALUATION_MANAGE,
        "path",
        code=payload.district_code,
    )
    cycle = services.cycle_create(
        actor=request.user,
        district=district,
        year=payload.year,
        ranking_weights=payload.ranking_weights,
        echelon_thresholds=payload.echelon_thresholds,
    )
    return Status(201, _year_out(cycle))


class YearWeightsIn(Schema):
    ranking_weights: dict[str, Decimal]
    echelon_thresholds: dict[str, Decimal]
    version: int


@router.patch(
    "/evaluation/years/{year_id}",
    response={200: YearOut, 400: Message, 409: Message},
    summary="Change the year's ranking weights (adding to 100) and echelon thresholds",
)
def update_year(request: SignedInRequest, year_id: int, payload: YearWeightsIn) -> Any:
    cycle = access.get_managed(CycleYear.objects.select_related("district"), request.user, year_id)
    services.cycle_update(
        actor=request.user,
        cycle=cycle,
        version=payload.version,
        ranking_weights=payload.ranking_weights,
        echelon_thresholds=payload.echelon_thresholds,
    )
    return _year_out(cycle)


@router.post(
    "/evaluation/years/{year_id}/plan",
    response=list[EventOut],
    summary="Generate the year's events: 12 meetings, 4 arenas, the assessment, the observation",
)
def plan_year(request: SignedInRequest, year_id: int) -> list[dict[str, Any]]:
    cycle = access.get_managed(CycleYear.objects.all(), request.user, year_id)
    return [_event_out(e) for e in services.cycle_plan(actor=request.user, cycle=cycle)]


@router.get("/evaluation/years/{year_id}/events", response=list[EventOut])
def list_events(request: SignedInRequest, year_id: int) -> list[dict[str, Any]]:
    cycle = access.get_visible(CycleYear.objects.all(), request.user, pk=year_id)
    return [_event_out(e) for e in access.events(request.user).filter(cycle=cycle)]


@router.patch(
    "/evaluation/events/{event_id}",
    response={200: EventOut, 400: Message, 409: Message},
    summary="An event's date, agenda and minutes",
)
def update_event(request: SignedInRequest, event_id: int, payload: EventIn) -> dict[str, Any]:
    event = access.get_managed(Event.objects.select_related("cycle"), request.user, event_id)
    services.event_update(
        actor=request.user,
        event=event,
        version=payload.version,
        held_on=payload.held_on,
        agenda=payload.agenda,
        minutes=payload.minutes,
    )
    return _event_out(event)


@router.post(
    "/evaluation/events/{event_id}/attendance",
    response={200: Message, 400: Message},
    summary="A street's attendance at a meeting",
)
def record_attendance(
    request: SignedInRequest, event_id: int, payload: AttendanceIn
) -> dict[str, Any]:
    event = access.get_managed(Event.objects.select_related("cycle"), request.user, event_id)
    row = services.attendance_record(
        actor=request.user,
        event=event,
        street=_street(event.cycle, payload.street_code),
        status=payload.status,
        attendee=payload.attendee,
    )
    return {"detail": row.get_status_display()}


@router.get("/evaluation/years/{year_id}/action-items", response=list[ActionItemOut])
def list_action_items(request: SignedInRequest, year_id: int) -> list[dict[str, Any]]:
    cycle = access.get_visible(CycleYear.objects.all(), request.user, pk=year_id)
    return [_item_out(i) for i in selectors.action_items(request.user, cycle).order_by("due_on")]


@router.post(
    "/evaluation/events/{event_id}/action-items",
    response={201: ActionItemOut, 400: Message},
    summary="A meeting's action item for a street, due in working days",
)
def create_action_item(
    request: SignedInRequest, event_id: int, payload: ActionItemIn
) -> Status[dict[str, Any]]:
    event = access.get_managed(Event.objects.select_related("cycle"), request.user, event_id)
    item = services.action_item_create(
        actor=request.user,
        event=event,
        street=_street(event.cycle, payload.street_code),
        title=payload.title,
        workdays=payload.workdays,
        owner_name=payload.owner_name,
    )
    return Status(201, _item_out(item))


@router.post(
    "/evaluation/action-items/{item_id}/done",
    response={200: ActionItemOut, 400: Message, 409: Message},
)
def action_item_done(request: SignedInRequest, item_id: int, payload: DoneIn) -> dict[str, Any]:
    item = access.get_reported(
        ActionItem.objects.select_related("event", "street"), request.user, item_id
    )
    if payload.done_on is None:
        raise DomainError(_("Give the day it was done."))
    services.action_item_done(
        actor=request.user, item=item, version=payload.version, done_on=payload.done_on
    )
    return _item_out(item)


@router.post(
    "/evaluation/action-items/{item_id}/ticket",
    response={200: ActionItemOut, 400: Message, 409: Message},
    summary="Raise an overdue action item as a ticket (once)",
)
def action_item_ticket(
    request: SignedInRequest, item_id: int, payload: EscalateIn
) -> dict[str, Any]:
    from gridlight.tickets.models import Category

    item = access.get_managed(
        ActionItem.objects.select_related("event", "street"), request.user, item_id
    )
    category = Category.objects.filter(code=payload.category_code, active=True).first()
    if category is None:
        raise DomainError(_("Unknown ticket category %(c)s.") % {"c": payload.category_code})
    services.action_item_escalate(
        actor=request.user, item=item, version=payload.version, category=category
    )
    return _item_out(item)


@router.post(
    "/evaluation/events/{event_id}/rounds",
    response={201: RoundOut, 400: Message},
    summary="A judged round of an arena or the observation: criteria (weights adding to 100, "
    "score ranges) and entrants",
)
def create_round(request: SignedInRequest, event_id: int, payload: RoundIn) -> Status[Any]:
    event = access.get_managed(
        Event.objects.select_related("cycle__district"), request.user, event_id
    )
    district = event.cycle.district
    below = Region.objects.filter(path__startswith=district.path + ".")
    if payload.entrant_codes:
        found = {r.code: r for r in below.filter(code__in=payload.entrant_codes)}
        missing = [c for c in payload.entrant_codes if c not in found]
        if missing:
            raise DomainError(
                _("No region of this district has the code %(c)s.") % {"c": ", ".join(missing)}
            )
        entrants = [found[c] for c in payload.entrant_codes]
    else:
        entrants = list(below.filter(level=payload.level).order_by("path"))
    round_ = services.round_create(
        actor=request.user,
        event=event,
        title=payload.title,
        criteria=[
            services.CriterionInput(c.name, c.weight, c.max_score, c.min_score)
            for c in payload.criteria
        ],
        entrants=entrants,
        level=payload.level,
        trim=payload.trim,
        trim_min=payload.trim_min,
        deviation_z=payload.deviation_z,
    )
    return Status(201, Round.objects.select_related("event").get(pk=round_.pk))


def _judge_out(judge: Judge) -> dict[str, Any]:
    return {
        "id": judge.pk,
        "username": judge.user.username,
        "recused_entrant_ids": list(judge.recusals.values_list("entrant_id", flat=True)),
    }


@router.get("/evaluation/rounds/{round_id}/judges", response=list[JudgeOut])
def list_judges(request: SignedInRequest, round_id: int) -> list[dict[str, Any]]:
    round_ = access.get_managed(Round.objects.all(), request.user, round_id)
    return [_judge_out(j) for j in round_.judges.select_related("user")]


@router.post(
    "/evaluation/rounds/{round_id}/judges",
    response={201: JudgeOut, 400: Message},
    summary="Appoint a judge; they are recused at once from their own street",
)
def appoint_judge(request: SignedInRequest, round_id: int, payload: JudgeIn) -> Status[Any]:
    round_ = access.get_managed(Round.objects.all(), request.user, round_id)
    user = User.objects.filter(username=payload.username, is_active=True).first()
    if user is None:
        raise DomainError(
            _("%(u)s is not an evaluator of this district.") % {"u": payload.username}
        )
    judge = services.judge_appoint(actor=request.user, round_=round_, user=user)
    return Status(201, _judge_out(judge))


@router.post(
    "/evaluation/rounds/{round_id}/conflicts",
    response={201: Message, 400: Message},
    summary="Declare a conflict: the judge is recused from the entrant (a judge may declare "
    "their own)",
)
def declare_conflict(request: SignedInRequest, round_id: int, payload: ConflictIn) -> Status[Any]:
    round_ = _round(request, round_id)
    judge = round_.judges.filter(pk=payload.judge_id).first()
    entrant = round_.entrants.filter(pk=payload.entrant_id).first()
    if judge is None or entrant is None:
        raise Http404
    recusal = services.conflict_declare(
        actor=request.user, judge=judge, entrant=entrant, reason=payload.reason
    )
    return Status(201, {"detail": recusal.reason})


@router.post(
    "/evaluation/rounds/{round_id}/close",
    response={200: RoundOut, 400: Message, 409: Message},
    summary="Close the round: results computed from the confirmed sheets (still unpublished)",
)
def close_round(request: SignedInRequest, round_id: int, payload: VersionIn) -> Round:
    round_ = access.get_managed(Round.objects.select_related("event"), request.user, round_id)
    services.round_close(actor=request.user, round_=round_, version=payload.version)
    return round_


@router.post(
    "/evaluation/rounds/{round_id}/publish",
    response={200: RoundOut, 400: Message, 409: Message},
)
def publish_round(request: SignedInRequest, round_id: int, payload: VersionIn) -> Round:
    round_ = access.get_managed(Round.objects.select_related("event"), request.user, round_id)
    services.round_publish(actor=request.user, round_=round_, version=payload.version)
    return round_


def _brand_out(b: StreetBrand) -> dict[str, Any]:
    return {
        "id": b.pk,
        "street_code": b.street.code,
        **{f: getattr(b, f) for f in ("project", "brand", "focus_area", "goals", "version")},
    }


@router.put(
    "/evaluation/years/{year_id}/brands",
    response={200: BrandOut, 400: Message, 409: Message},
    summary="A street's 一街一品 entry: create it (no version) or change it (its version)",
)
def save_brand(request: SignedInRequest, year_id: int, payload: BrandIn) -> dict[str, Any]:
    cycle = access.get_visible(CycleYear.objects.all(), request.user, pk=year_id)
    brand = services.brand_save(
        actor=request.user,
        cycle=cycle,
        street=_street(cycle, payload.street_code),
        project=payload.project,
        brand=payload.brand,
        focus_area=payload.focus_area,
        goals=payload.goals,
        version=payload.version,
    )
    return _brand_out(brand)


def _milestone_out(m: Milestone) -> dict[str, Any]:
    return {
        f: getattr(m, f)
        for f in ("id", "brand_id", "title", "planned_on", "done_on", "weight", "version")
    }


@router.post(
    "/evaluation/brands/{brand_id}/milestones",
    response={201: MilestoneOut, 400: Message},
)
def add_milestone(request: SignedInRequest, brand_id: int, payload: MilestoneIn) -> Status[Any]:
    brand = access.get_reported(StreetBrand.objects.select_related("cycle"), request.user, brand_id)
    milestone = services.milestone_add(
        actor=request.user,
        brand=brand,
        title=payload.title,
        planned_on=payload.planned_on,
        weight=payload.weight,
    )
    return Status(201, _milestone_out(milestone))


@router.post(
    "/evaluation/milestones/{milestone_id}/done",
    response={200: MilestoneOut, 400: Message, 409: Message},
    summary="A milestone done on a day (or not done again: done_on null)",
)
def milestone_done(request: SignedInRequest, milestone_id: int, payload: DoneIn) -> Any:
    milestone = access.get_reported(Milestone.objects.all(), request.user, milestone_id)
    services.milestone_done(
        actor=request.user, milestone=milestone, version=payload.version, done_on=payload.done_on
    )
    return _milestone_out(milestone)


@router.get("/evaluation/years/{year_id}/tasks", response=list[TaskOut])
def list_tasks(request: SignedInRequest, year_id: int) -> list[dict[str, Any]]:
    cycle = access.get_visible(CycleYear.objects.all(), request.user, pk=year_id)
    rows = scoped(
        StreetTask.objects.filter(cycle=cycle).select_related("street"),
        request.user,
        Perm.EVALUATION_VIEW,
    ).order_by("region_path", "pk")
    return [_task_out(t) for t in rows]


@router.put(
    "/evaluation/years/{year_id}/tasks",
    response={200: list[TaskOut], 400: Message},
    summary="Set a street's evaluation tasks: the whole list, weights adding to 100",
)
def set_tasks(request: SignedInRequest, year_id: int, payload: TasksIn) -> list[dict[str, Any]]:
    cycle = access.get_managed(CycleYear.objects.all(), request.user, year_id)
    rows = services.tasks_set(
        actor=request.user,
        cycle=cycle,
        street=_street(cycle, payload.street_code),
        tasks=[services.TaskInput(t.title, t.weight) for t in payload.tasks],
    )
    return [_task_out(t) for t in rows]


@router.post(
    "/evaluation/tasks/{task_id}/done",
    response={200: TaskOut, 400: Message, 409: Message},
)
def task_done(request: SignedInRequest, task_id: int, payload: DoneIn) -> dict[str, Any]:
    task = access.get_reported(
        StreetTask.objects.select_related("cycle", "street"), request.user, task_id
    )
    services.task_done(
        actor=request.user, task=task, version=payload.version, done_on=payload.done_on
    )
    return _task_out(task)


def _assessment_out(a: Assessment) -> dict[str, Any]:
    return {
        f: getattr(a, f)
        for f in (
            "id",
            "event_id",
            "period_start",
            "period_end",
            "weights",
            "computed_at",
            "version",
        )
    }


@router.post(
    "/evaluation/events/{event_id}/assessment",
    response={201: AssessmentOut, 400: Message},
    summary="The half-year assessment: its period and indicator weights (adding to 100)",
)
def create_assessment(
    request: SignedInRequest, event_id: int, payload: AssessmentIn
) -> Status[Any]:
    event = access.get_managed(Event.objects.select_related("cycle"), request.user, event_id)
    row = services.assessment_create(
        actor=request.user,
        event=event,
        period_start=payload.period_start,
        period_end=payload.period_end,
        weights=payload.weights,
    )
    return Status(201, _assessment_out(row))


@router.post(
    "/evaluation/assessments/{assessment_id}/compute",
    response={200: AssessmentOut, 400: Message, 409: Message},
    summary="Compute the assessment from the platform's live records",
)
def compute_assessment(
    request: SignedInRequest, assessment_id: int, payload: VersionIn
) -> dict[str, Any]:
    row = access.get_managed(
        Assessment.objects.select_related("event"), request.user, assessment_id
    )
    services.assessment_compute(actor=request.user, assessment_=row, version=payload.version)
    return _assessment_out(row)


def _standing_out(s: Standing) -> dict[str, Any]:
    return {
        "region_code": s.region.code,
        "region_name": s.region.name,
        "level": s.level,
        "rank": s.rank,
        "total": str(s.total),
        "tier": s.tier,
        "breakdown": s.breakdown,
    }


@router.get(
    "/evaluation/years/{year_id}/standings",
    response=list[StandingOut],
    summary="The annual street ranking (level 1) and the community echelon (level 2)",
)
def list_standings(request: SignedInRequest, year_id: int, level: int = 1) -> list[Any]:
    cycle = access.get_visible(CycleYear.objects.all(), request.user, pk=year_id)
    return [_standing_out(s) for s in selectors.standings(request.user, cycle, level)]


@router.post(
    "/evaluation/years/{year_id}/standings",
    response={200: list[StandingOut], 400: Message},
    summary="Compute the annual ranking and the echelon (replacing the previous ones)",
)
def compute_standings(request: SignedInRequest, year_id: int) -> list[Any]:
    cycle = access.get_managed(CycleYear.objects.all(), request.user, year_id)
    services.standings_compute(actor=request.user, cycle=cycle)
    rows = Standing.objects.filter(cycle=cycle).select_related("region").order_by("level", "rank")
    return [_standing_out(s) for s in rows]
