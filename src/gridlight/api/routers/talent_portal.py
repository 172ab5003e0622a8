"""Talent problems and the portal of talents and enterprises.

``/me/talent…`` is the portal: the caller's own talent profile or enterprise (404 for anyone
without one), its commissioner, its problems as the public see a ticket (``tickets.disclosure``:
no staff names, internal notes or cards), raising a problem and self-correction.
``/talent/problems…`` is the staff side: the problems in the caller's talent scope, raising one
for a talent or an enterprise, and the "problems solved" KPI. The same services and selectors
as the pages."""

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import SignedInRequest, Viewer
from gridlight.core.errors import DomainError
from gridlight.core.views.common import capped_count
from gridlight.talent import portal, problems, services
from gridlight.talent.access import get_enterprise, get_talent
from gridlight.talent.models import Enterprise, ProblemCategory, Talent, TalentProblem
from gridlight.tickets import disclosure

router = Router(tags=["talent problems and portal"])


class Message(Schema):
    detail: str


class CommissionerOut(Schema):
    name: str
    office_phone: str


class ChildOut(Schema):
    name: str
    birth_date: date
    age: int


class MyProfileOut(Schema):
    kind: Literal["talent", "enterprise"]
    name: str
    version: int
    id_masked: str | None = Field(None, description="Talents: the ID number, masked.")
    phone_masked: str | None = Field(None, description="Talents: the phone number, masked.")
    level: str | None = None
    spouse_employment: str | None = None
    housing: str | None = None
    children: list[ChildOut] | None = None
    credit_code: str | None = Field(None, description="Enterprises: the credit code.")
    industry: str | None = None
    address: str | None = None
    headcount: int | None = None


class ProblemOut(Schema):
    id: int
    ticket_id: int
    number: str
    category: str
    category_label: str
    title: str
    status: str
    status_label: str
    unit_name: str | None
    created_at: datetime
    closed_at: datetime | None
    close_reason: str
    solved: bool


class StepOut(Schema):
    at: datetime
    step: str
    label: str
    actor: str
    unit: str
    note: str


class ProblemDetailOut(ProblemOut):
    description: str
    timeline: list[StepOut]


class StaffProblemOut(ProblemOut):
    talent_id: int | None
    enterprise_id: int | None
    subject_name: str
    commissioner_id: int
    commissioner_name: str


class RaiseIn(Schema):
    category: ProblemCategory
    title: str = Field(max_length=120)
    description: str = Field(max_length=4000)


class StaffRaiseIn(RaiseIn):
    talent_id: int | None = None
    enterprise_id: int | None = None


class ChildIn(Schema):
    name: str = Field("", max_length=60)
    birth_date: date


class TalentCorrectIn(Schema):
    """The whole of what a talent may correct (a PUT replaces it): blank phone keeps it."""

    version: int
    phone: str = Field(max_length=30, description="Blank keeps the number on record.")
    spouse_employment: str = Field(description="One of the choices, or blank: not given.")
    housing: str = Field(description="One of the choices, or blank: not given.")
    children: list[ChildIn] = Field(description="Replaces the children on record.")


class EnterpriseCorrectIn(Schema):
    version: int
    address: str = Field(max_length=200)
    headcount: int | None = Field(description="Null: not known.")


class SolvedRowOut(Schema):
    key: str | None
    label: str
    solved: int
    raised: int


class SolvedOut(Schema):
    by: str
    start: date
    end: date
    total: SolvedRowOut
    rows: list[SolvedRowOut]
    trend: list[SolvedRowOut]


# --- shaping ----------------------------------------------------------------------------------


def _problem(p: TalentProblem, user: Viewer) -> dict[str, Any]:
    t = disclosure.for_viewer(p.ticket, user)
    return {
        "id": p.pk,
        "ticket_id": t.pk,
        "number": t.number,
        "category": p.category,
        "category_label": str(p.get_category_display()),
        "title": t.title,
        "status": t.status,
        "status_label": str(t.get_status_display()),
        "unit_name": t.unit.name if t.unit_id and t.unit else None,
        "created_at": p.created_at,
        "closed_at": t.closed_at,
        "close_reason": t.close_reason,
        "solved": t.status == "closed" and t.close_reason == "resolved",
    }


def _staff_problem(p: TalentProblem, user: Viewer) -> dict[str, Any]:
    subject = p.talent if p.talent_id else p.enterprise
    return {
        **_problem(p, user),
        "talent_id": p.talent_id,
        "enterprise_id": p.enterprise_id,
        "subject_name": subject.name if subject else "",
        "commissioner_id": p.commissioner_id,
        "commissioner_name": str(p.commissioner),
    }


def _record(request: SignedInRequest) -> Talent | Enterprise:
    record = portal.portal_record(request.user)
    if record is None:
        raise Http404
    return record


def _profile(record: Talent | Enterprise) -> dict[str, Any]:
    if isinstance(record, Talent):
        shown = portal.shown_talent(record)
        return {
            "kind": "talent",
            "name": record.name,
            "version": record.version,
            "id_masked": shown.id_masked,
            "phone_masked": shown.phone_masked,
            "level": record.level,
            "spouse_employment": record.spouse_employment,
            "housing": record.housing,
            "children": [
                {"name": c.name, "birth_date": c.birth_date, "age": c.age} for c in shown.children
            ],
        }
    return {
        "kind": "enterprise",
        "name": record.name,
        "version": record.version,
        "credit_code": record.credit_code,
        "industry": record.industry,
        "address": record.address,
        "headcount": record.headcount,
    }


# --- the portal -------------------------------------------------------------------------------


@router.get("/me/talent", response=MyProfileOut, summary="My talent profile or my enterprise")
def my_profile(request: SignedInRequest) -> dict[str, Any]:
    return _profile(_record(request))


@router.get(
    "/me/talent/commissioner",
    response={200: CommissionerOut, 404: Message},
    summary="My commissioner: display name and office phone",
)
def my_commissioner(request: SignedInRequest) -> Status[Any]:
    found = portal.commissioner_of(_record(request))
    if found is None:
        return Status(404, {"detail": _("No commissioner is assigned to you yet.")})
    return Status(200, {"name": found.name, "office_phone": found.office_phone})


@router.get("/me/talent/problems", response=list[ProblemOut], summary="My problems")
@paginate(Pagination)
def my_problems(request: SignedInRequest) -> Any:
    _record(request)
    return _Shaped(portal.my_problems(request.user), lambda p: _problem(p, request.user))


@router.get(
    "/me/talent/problems/{problem_id}",
    response=ProblemDetailOut,
    summary="One of my problems and its progress",
)
def my_problem(request: SignedInRequest, problem_id: int) -> dict[str, Any]:
    _record(request)
    problem = portal.my_problems(request.user).filter(pk=problem_id).first()
    if problem is None:
        raise Http404
    return {
        **_problem(problem, request.user),
        "description": problem.ticket.description,
        "timeline": [
            {
                "at": e.at,
                "step": e.name,
                "label": e.label,
                "actor": e.actor,
                "unit": e.unit,
                "note": e.reason,
            }
            for e in disclosure.timeline(problem.ticket, request.user)
        ],
    }


@router.post(
    "/me/talent/problems",
    response={201: ProblemOut, 400: Message, 404: Message},
    summary="Raise a problem of my own",
)
def raise_mine(request: SignedInRequest, payload: RaiseIn) -> Status[dict[str, Any]]:
    record = _record(request)
    is_talent = isinstance(record, Talent)
    problem = problems.raise_problem(
        actor=request.user,
        talent=record if is_talent else None,  # type: ignore[arg-type]
        enterprise=None if is_talent else record,  # type: ignore[arg-type]
        category=payload.category,
        title=payload.title,
        description=payload.description,
    )
    return Status(201, _problem(_reload(problem), request.user))


@router.put(
    "/me/talent/profile",
    response={200: MyProfileOut, 400: Message, 404: Message, 409: Message},
    summary="Correct my phone and family facts (talents)",
)
def correct_talent(request: SignedInRequest, payload: TalentCorrectIn) -> Status[dict[str, Any]]:
    record = _record(request)
    if not isinstance(record, Talent):
        raise Http404
    updated = portal.talent_self_correct(
        actor=request.user,
        talent=record,
        version=payload.version,
        phone=payload.phone,
        spouse_employment=payload.spouse_employment,
        housing=payload.housing,
        children=[
            services.ChildInput(name=c.name, birth_date=c.birth_date) for c in payload.children
        ],
    )
    return Status(200, _profile(updated))


@router.put(
    "/me/talent/enterprise",
    response={200: MyProfileOut, 400: Message, 404: Message, 409: Message},
    summary="Correct my enterprise's address and headcount (enterprise users)",
)
def correct_enterprise(
    request: SignedInRequest, payload: EnterpriseCorrectIn
) -> Status[dict[str, Any]]:
    record = _record(request)
    if not isinstance(record, Enterprise):
        raise Http404
    updated = portal.enterprise_self_correct(
        actor=request.user,
        enterprise=record,
        version=payload.version,
        address=payload.address,
        headcount=payload.headcount,
    )
    return Status(200, _profile(updated))


def _reload(problem: TalentProblem) -> TalentProblem:
    return TalentProblem.objects.select_related("ticket", "ticket__unit").get(pk=problem.pk)


# --- staff ------------------------------------------------------------------------------------


@router.get(
    "/talent/problems",
    response=list[StaffProblemOut],
    summary="Talent problems in my scope (commissioners' list)",
)
@paginate(Pagination)
def list_problems(
    request: SignedInRequest,
    category: ProblemCategory | None = None,
    status: Literal["open", "closed"] | None = None,
    commissioner: int | None = None,
    enterprise: int | None = None,
    month: date | None = None,
    q: str = "",
) -> Any:
    filters = problems.ProblemFilters(
        category=category or "",
        status=status or "",
        commissioner=commissioner,
        enterprise=enterprise,
        month=month,
        q=q,
    )
    qs = problems.problem_list(request.user, filters)
    return _Shaped(qs, lambda p: _staff_problem(p, request.user))


class _Shaped:
    """A queryset the paginator slices and counts, shaped row by row after slicing."""

    def __init__(self, qs: Any, shape: Any) -> None:
        self.qs, self.shape = qs, shape

    def __len__(self) -> int:
        return capped_count(self.qs)

    def __getitem__(self, s: slice) -> list[dict[str, Any]]:
        return [self.shape(p) for p in self.qs[s]]


@router.post(
    "/talent/problems",
    response={201: StaffProblemOut, 400: Message, 403: Message, 404: Message},
    summary="Raise a problem for a talent or an enterprise (its commissioner, or the district)",
)
def raise_for(request: SignedInRequest, payload: StaffRaiseIn) -> Status[dict[str, Any]]:
    if (payload.talent_id is None) == (payload.enterprise_id is None):
        return Status(400, {"detail": _("Name either a talent or an enterprise.")})
    talent = get_talent(request.user, payload.talent_id) if payload.talent_id else None
    enterprise = (
        get_enterprise(request.user, payload.enterprise_id) if payload.enterprise_id else None
    )
    problem = problems.raise_problem(
        actor=request.user,
        talent=talent,
        enterprise=enterprise,
        category=payload.category,
        title=payload.title,
        description=payload.description,
    )
    reloaded = TalentProblem.objects.select_related(
        "ticket", "ticket__unit", "talent", "enterprise", "commissioner"
    ).get(pk=problem.pk)
    return Status(201, _staff_problem(reloaded, request.user))


@router.get(
    "/talent/problems/solved",
    response=SolvedOut,
    summary="Problems solved (tickets closed as resolved) and raised, per row and month",
)
def solved(
    request: SignedInRequest,
    by: Literal["commissioner", "category", "enterprise", "month"] = "commissioner",
    start: date | None = None,
    end: date | None = None,
    category: ProblemCategory | None = None,
    commissioner: int | None = None,
    enterprise: int | None = None,
) -> dict[str, Any]:
    last = (end or timezone.localdate()).replace(day=1)
    first = (start or problems.shift_month(last, -11)).replace(day=1)
    if first > last or len(problems.months_between(first, last)) > problems.MAX_MONTHS:
        raise DomainError(
            _("Choose a period of at most %(n)s months that ends after it starts.")
            % {"n": problems.MAX_MONTHS}
        )
    report = problems.solved_report(
        request.user,
        by=by,
        start=first,
        end=last,
        category=category or "",
        commissioner=commissioner,
        enterprise=enterprise,
    )

    def row(r: problems.SolvedRow) -> dict[str, Any]:
        key = None if r.key is None else (f"{r.key:%Y-%m}" if by == "month" else str(r.key))
        return {"key": key, "label": r.label, "solved": r.solved, "raised": r.raised}

    return {
        "by": report.by,
        "start": report.start,
        "end": report.end,
        "total": row(report.total),
        "rows": [row(r) for r in report.rows],
        "trend": [
            {"key": f"{r.key:%Y-%m}", "label": r.label, "solved": r.solved, "raised": r.raised}
            for r in report.trend
        ],
    }
