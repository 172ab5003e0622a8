"""Commissioners' caseloads: the worklist of contacts due, the service log, assignment,
handover, bulk reassignment, the cadence, the workload and the district's talent figures;
scoped exactly like the pages (/talent/caseload/)."""

from datetime import date
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gridlight.api.pagination import Pagination
from gridlight.core.access import Perm, SignedInRequest, require
from gridlight.core.errors import DomainError
from gridlight.core.models import User
from gridlight.talent import caseload as services
from gridlight.talent import caseload_selectors as selectors
from gridlight.talent.access import get_enterprise, get_talent
from gridlight.talent.models import CommissionerProfile, Enterprise, Talent

router = Router(tags=["talent caseloads"])

Section = Literal["overdue", "soon", "later"]
Level = Literal["A", "B", "C", "D", "E", "enterprise"]
Kind = Literal["talent", "enterprise"]


class Message(Schema):
    detail: str


class LoadOut(Schema):
    commissioner_id: int
    name: str
    office_phone: str
    active: bool
    by_level: dict[str, int]
    talents: int
    enterprises: int
    overdue: int
    due_soon: int
    contacts_this_month: int


class WorkloadOut(Schema):
    commissioners: list[LoadOut]
    unassigned_talents: int
    unassigned_enterprises: int


class CaseOut(Schema):
    kind: Kind
    id: int
    name: str
    level: str
    last_contact_on: date | None
    next_contact_due: date | None
    days_overdue: int
    version: int


class ContactIn(Schema):
    kind: Literal["visit", "call", "service"]
    on: date
    notes: str = Field("", max_length=2000)


class ContactOut(Schema):
    id: int
    kind: str
    on: date
    notes: str
    commissioner: str
    ticket_id: int | None


class AssignIn(Schema):
    commissioner_id: int
    version: int


class PickIn(Schema):
    kind: Kind
    id: int
    version: int


class ReassignIn(Schema):
    commissioner_id: int
    records: list[PickIn] = Field(min_length=1, max_length=1000)


class HandoverIn(Schema):
    successor_id: int
    version: int
    deactivate: bool = False


class HandoverOut(Schema):
    talents: int
    enterprises: int


class DeskIn(Schema):
    office_phone: str = Field("", max_length=20)
    active: bool
    version: int


class DeskOut(Schema):
    commissioner_id: int
    office_phone: str
    active: bool
    version: int


class CadenceOut(Schema):
    level: Level
    days: int


class CadenceIn(Schema):
    days: int = Field(ge=7, le=366)
    seen: int = Field(description="The days the editor saw (optimistic lock).")


class CadenceChanged(Schema):
    rescheduled: int


class FiguresOut(Schema):
    talents: int
    key_enterprises: int
    key_srdi: int
    listing_reserve: int
    municipal_platforms: int
    problems_solved: int
    solved_by_category: dict[str, int]


def _load(load: selectors.Load) -> dict[str, Any]:
    return {
        "commissioner_id": load.commissioner.pk,
        "name": str(load.commissioner),
        "office_phone": load.office_phone,
        "active": load.active,
        "by_level": dict(load.levels()),
        "talents": load.talents,
        "enterprises": load.enterprises,
        "overdue": load.overdue,
        "due_soon": load.soon,
        "contacts_this_month": load.contacts_this_month,
    }


def _commissioner(request: SignedInRequest, pk: int) -> User:
    require(request.user, Perm.TALENT_VIEW)
    return selectors.get_commissioner(request.user, pk)


def _arranger(request: SignedInRequest) -> None:
    require(request.user, Perm.TALENT_ASSIGN)


def _chosen(request: SignedInRequest, pk: int, path: str = "") -> User:
    """A commissioner the district may give cases to (400 otherwise, naming why)."""
    found = next(
        (u for u in selectors.commissioner_choices(request.user, path) if u.pk == pk), None
    )
    if found is None:
        raise DomainError(
            _("The commissioner does not exist, does not take cases or does not serve here.")
        )
    return found


def _subject(request: SignedInRequest, kind: str, pk: int) -> Talent | Enterprise:
    require(request.user, Perm.TALENT_VIEW)
    return get_talent(request.user, pk) if kind == "talent" else get_enterprise(request.user, pk)


@router.get("/caseload/figures", response=FiguresOut, summary="The district's talent figures")
def get_figures(request: SignedInRequest) -> dict[str, Any]:
    require(request.user, Perm.TALENT_VIEW)
    f = selectors.figures(request.user)
    return f.__dict__


@router.get("/caseload/workload", response=WorkloadOut, summary="Workload across commissioners")
def get_workload(request: SignedInRequest) -> dict[str, Any]:
    _arranger(request)
    w = selectors.workload(request.user)
    return {
        "commissioners": [_load(load) for load in w.loads],
        "unassigned_talents": w.unassigned_talents,
        "unassigned_enterprises": w.unassigned_enterprises,
    }


@router.get("/caseload/commissioners/{commissioner_id}", response=LoadOut)
def get_load(request: SignedInRequest, commissioner_id: int) -> dict[str, Any]:
    commissioner = _commissioner(request, commissioner_id)
    load = selectors.load_of(request.user, commissioner, today=timezone.localdate())
    profile = CommissionerProfile.objects.filter(user_id=commissioner.pk).first()
    load.office_phone = profile.office_phone if profile else ""
    load.active = bool(profile and profile.active)
    return _load(load)


@router.get(
    "/caseload/commissioners/{commissioner_id}/cases",
    response=list[CaseOut],
    summary="A commissioner's worklist: contacts overdue (most overdue first), due soon, later",
)
@paginate(Pagination)
def list_cases(request: SignedInRequest, commissioner_id: int, section: Section = "overdue") -> Any:
    commissioner = _commissioner(request, commissioner_id)
    today = timezone.localdate()
    load = selectors.load_of(request.user, commissioner, today=today)
    rows = selectors.caseload_section(request.user, commissioner, section, today=today, load=load)
    return _Cases(rows, today)


class _Cases:
    """The worklist rows as the schema's dicts, sliced and counted by the paginator."""

    def __init__(self, rows: Any, today: date) -> None:
        self.rows, self.today = rows, today

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [
            {
                "kind": i.kind,
                "id": i.pk,
                "name": i.name,
                "level": i.level,
                "last_contact_on": i.last_contact_on,
                "next_contact_due": i.next_contact_due,
                "days_overdue": i.days_overdue,
                "version": i.version,
            }
            for i in selectors.case_items(self.rows[window], self.today)
        ]


@router.put(
    "/caseload/commissioners/{commissioner_id}/desk",
    response={200: DeskOut, 400: Message, 409: Message},
)
def put_desk(request: SignedInRequest, commissioner_id: int, payload: DeskIn) -> dict[str, Any]:
    commissioner = _commissioner(request, commissioner_id)
    p = services.commissioner_update(
        actor=request.user,
        commissioner=commissioner,
        version=payload.version,
        office_phone=payload.office_phone,
        active=payload.active,
    )
    return {
        "commissioner_id": commissioner.pk,
        "office_phone": p.office_phone,
        "active": p.active,
        "version": p.version,
    }


@router.post(
    "/caseload/commissioners/{commissioner_id}/handover",
    response={200: HandoverOut, 400: Message, 409: Message},
    summary="Hand a commissioner's whole caseload to another in one step",
)
def post_handover(
    request: SignedInRequest, commissioner_id: int, payload: HandoverIn
) -> dict[str, Any]:
    _arranger(request)
    leaver = _commissioner(request, commissioner_id)
    done = services.caseload_handover(
        actor=request.user,
        leaver=leaver,
        version=payload.version,
        successor=_chosen(request, payload.successor_id),
        deactivate=payload.deactivate,
    )
    return {"talents": done.talents, "enterprises": done.enterprises}


@router.post(
    "/caseload/reassign",
    response={200: HandoverOut, 400: Message, 409: Message},
    summary="Reassign chosen talents and key enterprises (version-checked) in one step",
)
def post_reassign(request: SignedInRequest, payload: ReassignIn) -> dict[str, Any]:
    _arranger(request)
    target = _chosen(request, payload.commissioner_id)
    picks: dict[str, list[services.Pick]] = {"talent": [], "enterprise": []}
    for r in payload.records:
        picks[r.kind].append(services.Pick(r.id, r.version))
    # Each record must be one the caller may see: an unseen one is a 404, as on the pages.
    for r in payload.records:
        _subject(request, r.kind, r.id)
    services.caseload_reassign(
        actor=request.user,
        commissioner=target,
        talents=picks["talent"],
        enterprises=picks["enterprise"],
    )
    return {"talents": len(picks["talent"]), "enterprises": len(picks["enterprise"])}


def _register(kind: Kind) -> None:
    """The routes of one kind of record (``/caseload/talents/…``, ``/caseload/enterprises/…``)."""

    @router.post(
        f"/caseload/{kind}s/{{record_id}}/commissioner",
        response={200: Message, 400: Message, 409: Message},
        summary=f"Assign a commissioner to a {kind}",
        operation_id=f"caseload_{kind}_assign",
    )
    def post_assign(request: SignedInRequest, record_id: int, payload: AssignIn) -> Any:
        _arranger(request)
        subject = _subject(request, kind, record_id)
        chosen = _chosen(request, payload.commissioner_id, subject.region_path)
        if isinstance(subject, Talent):
            services.caseload_assign_talent(
                actor=request.user, talent=subject, version=payload.version, commissioner=chosen
            )
        else:
            services.caseload_assign_enterprise(
                actor=request.user,
                enterprise=subject,
                version=payload.version,
                commissioner=chosen,
            )
        return {"detail": str(chosen)}

    @router.get(
        f"/caseload/{kind}s/{{record_id}}/contacts",
        response=list[ContactOut],
        summary=f"A {kind}'s service log, newest first",
        operation_id=f"caseload_{kind}_contacts",
    )
    @paginate(Pagination)
    def list_contacts(request: SignedInRequest, record_id: int) -> Any:
        subject = _subject(request, kind, record_id)
        log = selectors.service_log(request.user, **{f"{kind}_id": subject.pk})
        return [_contact(e, str(e.commissioner)) for e in log[:500]]

    @router.post(
        f"/caseload/{kind}s/{{record_id}}/contacts",
        response={201: ContactOut, 400: Message},
        summary=f"Record a visit, a call or a service delivered to a {kind}",
        operation_id=f"caseload_{kind}_contact",
    )
    def post_contact(
        request: SignedInRequest, record_id: int, payload: ContactIn
    ) -> Status[dict[str, Any]]:
        subject = _subject(request, kind, record_id)
        entry = services.contact_record(
            actor=request.user,
            kind=payload.kind,
            on=payload.on,
            notes=payload.notes,
            talent=subject if isinstance(subject, Talent) else None,
            enterprise=subject if isinstance(subject, Enterprise) else None,
        )
        return Status(201, _contact(entry, str(request.user)))


def _contact(entry: Any, commissioner: str) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "on": entry.on,
        "notes": entry.notes,
        "commissioner": commissioner,
        "ticket_id": entry.ticket_id,
    }


_register("talent")
_register("enterprise")


def _level_name(level: str) -> str:
    return level or "enterprise"


@router.get("/caseload/cadence", response=list[CadenceOut], summary="The contact cadence")
def list_cadence(request: SignedInRequest) -> list[dict[str, Any]]:
    require(request.user, Perm.TALENT_VIEW)
    return [{"level": _level_name(c.level), "days": c.days} for c in selectors.cadences()]


@router.put(
    "/caseload/cadence/{level}",
    response={200: CadenceChanged, 400: Message, 409: Message},
    summary="Change the cadence of a level ('enterprise' for key enterprises)",
)
def put_cadence(request: SignedInRequest, level: Level, payload: CadenceIn) -> dict[str, Any]:
    _arranger(request)
    if not selectors.may_arrange(request.user):
        raise PermissionDenied
    moved = services.cadence_update(
        actor=request.user,
        level="" if level == "enterprise" else level,
        days=payload.days,
        version_days=payload.seen,
    )
    return {"rescheduled": moved}
