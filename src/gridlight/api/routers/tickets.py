"""Closed-loop tickets: list, detail with the timeline, intake and every lifecycle step, scoped
exactly like the pages (``tickets.access.visible``); the services decide who may act.

No personal data leaves through here: the requester's phone is never returned and their name only
masked."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import create_model

from gridlight.api.pagination import Pagination
from gridlight.core.access import Perm, SignedInRequest, is_public_user
from gridlight.core.crypto import mask_name
from gridlight.core.errors import DomainError
from gridlight.core.models import Region
from gridlight.core.selectors import region_by_code
from gridlight.tickets import access as ticket_access
from gridlight.tickets import deadlines, disclosure, selectors, services, steps
from gridlight.tickets.models import Card, Category, Source, Ticket
from gridlight.tickets.models import Status as TicketStatus

router = Router(tags=["tickets"])
MAX_IDEMPOTENCY_KEY = 64  # the column's width


class Message(Schema):
    detail: str


class TicketOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    category: str
    category_name: str
    region_code: str
    region_name: str
    unit: str | None
    unit_name: str | None
    title: str
    address: str
    source: str
    talent: bool
    card: str | None = Field(description="Yellow or red card; null for the public.")
    supervised: bool | None = Field(description="Under supervision; null for the public.")
    requester_name: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = Field(
        description="The handling deadline: midnight after its last day (see due_day)."
    )
    due_day: date | None = Field(description="The last day to handle it, as pages show it.")
    closed_at: datetime | None
    close_reason: str
    version: int

    # The list hands over Ticket rows, the detail a dict made by _row: both go through _row.
    @staticmethod
    def resolve_status_label(obj: Any, context: Any) -> str:
        return str(_field(obj, "status_label", context))

    @staticmethod
    def resolve_category(obj: Any, context: Any) -> str:
        return str(_field(obj, "category", context))

    @staticmethod
    def resolve_category_name(obj: Any, context: Any) -> str:
        return str(_field(obj, "category_name", context))

    @staticmethod
    def resolve_due_day(obj: Any, context: Any) -> date | None:
        value: date | None = _field(obj, "due_day", context)
        return value

    @staticmethod
    def resolve_region_code(obj: Any, context: Any) -> str:
        return str(_field(obj, "region_code", context))

    @staticmethod
    def resolve_region_name(obj: Any, context: Any) -> str:
        return str(_field(obj, "region_name", context))

    @staticmethod
    def resolve_unit(obj: Any, context: Any) -> str | None:
        value = _field(obj, "unit", context)
        return None if value is None else str(value)

    @staticmethod
    def resolve_unit_name(obj: Any, context: Any) -> str | None:
        value = _field(obj, "unit_name", context)
        return None if value is None else str(value)

    @staticmethod
    def resolve_card(obj: Any, context: Any) -> str | None:
        value = _field(obj, "card", context)
        return None if value is None else str(value)

    @staticmethod
    def resolve_supervised(obj: Any, context: Any) -> bool | None:
        value = _field(obj, "supervised", context)
        return None if value is None else bool(value)

    @staticmethod
    def resolve_requester_name(obj: Any, context: Any) -> str:
        # Never the plain name, whatever the caller may see otherwise.
        return str(_field(obj, "requester_name", context))


def _field(obj: Any, name: str, context: Any) -> Any:
    if isinstance(obj, dict):
        return obj[name]
    row: dict[str, Any] | None = getattr(obj, "_api_row", None)
    if row is None:
        # A list row: shown as the caller may see it, like the detail.
        row = obj._api_row = _row(disclosure.for_viewer(obj, context["request"].user))
    return row[name]


class TransitionOut(Schema):
    name: str
    source: str
    target: str
    at: datetime
    reason: str
    actor: str | None
    unit: str | None


class TicketDetailOut(TicketOut):
    description: str
    latitude: float | None
    longitude: float | None
    # Internal to the staff: null for the public (tickets.disclosure.INTERNAL_FIELDS).
    round: int | None
    dispatched_at: datetime | None
    sign_due: datetime | None
    sign_day: date | None = Field(description="The last day to sign for it.")
    return_due: datetime | None
    yellow_at: datetime | None
    supervise_at: datetime | None
    extension_days: int
    extension_requested: int | None
    extension_reason: str | None
    return_count: int | None
    reopen_count: int | None
    resolved: bool | None
    satisfaction: str
    rated: bool
    duplicate_of: int | None
    transitions: list[TransitionOut]
    actions: list[str] = Field(description="The steps the caller may take now.")


class TicketIn(Schema):
    category: str = Field(description="Category code (a leaf of the catalogue).")
    region: str = Field(
        "",
        description="Code of the street, community or grid; without it the ticket is placed "
        "by latitude and longitude (the nearest grid station's grid) or by an address that "
        "names the street or community.",
    )
    title: str = Field(max_length=120)
    description: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    requester_name: str = ""
    requester_phone: str = ""
    source: str | None = None


class TicketCreatedOut(Schema):
    id: int
    number: str
    status: str
    version: int


_PAYLOAD_TYPES: dict[steps.Kind, tuple[Any, Any]] = {
    steps.Kind.TEXT: (str, ""),
    steps.Kind.CHOICE: (str, ""),
    steps.Kind.BOOL: (bool | None, None),
    steps.Kind.DAYS: (int | None, None),
    steps.Kind.UNIT: (str | None, None),
    steps.Kind.TICKET: (int | None, None),
}


def _action_schema() -> type[Schema]:
    """The steps' payload, from the step table: every input under its name and the older
    names still accepted, each documented with the steps that read it."""
    read_by = steps.readers()
    fields: dict[str, Any] = {"version": (int, ...)}
    for name in [*steps.INPUTS, *(n for n in read_by if n not in steps.INPUTS)]:
        spec = steps.INPUTS.get(name)
        said = []
        if spec is not None:
            steps_named = ", ".join(s for s in read_by.get(name, []) if ":" not in s)
            values = ", ".join(str(v) for v, _label in spec.choices)
            text = spec.help or (values if spec.kind is steps.Kind.CHOICE else "")
            said.append(f"{steps_named}: {text}" if text else steps_named)
        said += [s for s in read_by.get(name, []) if ":" in s]
        kind = spec.kind if spec is not None else _older_kind(name)
        payload_type, default = _PAYLOAD_TYPES[kind]
        fields[name] = (payload_type, Field(default, description="; ".join(said) + "."))
    return create_model("ActionIn", __base__=Schema, **fields)


def _older_kind(name: str) -> steps.Kind:
    """The kind of the input an older name stands for."""
    for step in steps.STEPS.values():
        for param in step.params:
            if name in param.aliases:
                return param.kind
    raise LookupError(name)


if TYPE_CHECKING:

    class ActionIn(Schema):
        version: int

else:
    ActionIn = _action_schema()


class PolicyOut(Schema):
    code: str
    name: str
    response_days: int
    handle_days: int
    max_extension_days: int
    return_days: int
    yellow_days: int
    supervise_days: int
    verify_on_site: bool


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    description: str
    talent: bool
    public: bool
    default_unit: str | None
    policy: PolicyOut


class CategoryGroupOut(CategoryOut):
    children: list[CategoryOut]


# --- reading ----------------------------------------------------------------------------------


def _row(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.pk,
        "number": t.number,
        "status": t.status,
        "status_label": str(t.get_status_display()),
        "category": t.category.code,
        "category_name": t.category.name,
        "region_code": t.region.code,
        "region_name": t.region.name,
        "unit": t.unit.code if t.unit else None,
        "unit_name": t.unit.name if t.unit else None,
        "title": t.title,
        "address": t.address,
        "source": t.source,
        "talent": t.talent,
        "card": t.card,
        "supervised": t.supervised,
        "requester_name": mask_name(t.requester_name),
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "due_at": t.due_at,
        "due_day": _last_day(t.due_at),
        "closed_at": t.closed_at,
        "close_reason": t.close_reason,
        "version": t.version,
    }


def _last_day(deadline: datetime | None) -> date | None:
    return deadlines.due_day(deadline) if deadline else None


def _actor_name(entry: disclosure.Entry, staff: bool) -> str | None:
    # The requester's own steps (submit, rate, withdraw) carry their name: masked like theirs.
    if entry.by_system:
        return None
    return mask_name(entry.actor) if staff and entry.by_requester else entry.actor


def _detail(request: HttpRequest, stored: Ticket) -> dict[str, Any]:
    t = disclosure.for_viewer(stored, request.user)
    staff = disclosure.staff_view(request.user)
    data = _row(t)
    fields = (
        "description",
        "latitude",
        "longitude",
        "round",
        "dispatched_at",
        "sign_due",
        "return_due",
        "yellow_at",
        "supervise_at",
        "extension_days",
        "extension_requested",
        "extension_reason",
        "return_count",
        "reopen_count",
        "resolved",
        "satisfaction",
        "rated",
    )
    data.update({name: getattr(t, name) for name in fields})
    data["sign_day"] = _last_day(t.sign_due)
    data["duplicate_of"] = t.duplicate_of_id
    data["transitions"] = [
        {
            "name": e.name,
            "source": e.source,
            "target": e.target,
            "at": e.at,
            "reason": e.reason,
            "actor": _actor_name(e, staff),
            "unit": e.unit_code or None,
        }
        for e in disclosure.timeline(stored, request.user)
    ]
    data["actions"] = [
        name for name in ticket_access.ACTORS if ticket_access.may(request.user, name, stored)
    ]
    return data


def _visible(request: HttpRequest, ticket_id: int) -> Ticket:
    return ticket_access.get_visible(request.user, ticket_id)


@router.get(
    "/tickets/categories",
    response=list[CategoryGroupOut],
    summary="The ticket catalogue: active categories with their SLA policies",
)
def categories(request: SignedInRequest) -> list[dict[str, Any]]:
    rows = list(
        Category.objects.filter(active=True).select_related("policy", "default_unit", "parent")
    )
    if is_public_user(request.user):
        rows = [c for c in rows if c.public]

    def out(c: Category) -> dict[str, Any]:
        return {
            "code": c.code,
            "name": c.name,
            "name_en": c.name_en,
            "description": c.description,
            "talent": c.talent,
            "public": c.public,
            "default_unit": c.default_unit.code if c.default_unit else None,
            "policy": c.policy,
        }

    groups = [c for c in rows if c.parent_id is None]
    return [{**out(g), "children": [out(c) for c in rows if c.parent_id == g.pk]} for g in groups]


@router.get("/tickets", response=list[TicketOut], summary="Tickets the caller may see")
@paginate(Pagination)
def list_tickets(
    request: SignedInRequest,
    status: TicketStatus | None = None,
    category: str = "",
    unit: str = "",
    card: Card | None = None,
    talent: bool | None = None,
    q: str = "",
) -> Any:
    qs: QuerySet[Ticket] = ticket_access.visible(request.user)
    if status:
        qs = qs.filter(status=status)
    if category:
        # A group's code covers its leaves.
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if unit:
        qs = qs.filter(unit__code=unit)
    if card is not None:
        qs = qs.filter(card=card)
    if talent is not None:
        qs = qs.filter(talent=talent)
    if q.strip():
        qs = qs.filter(title__icontains=q.strip())
    return qs.select_related("category", "region", "unit").order_by("-created_at", "-id")


@router.get("/tickets/{ticket_id}", response=TicketDetailOut, summary="One ticket and its log")
def get_ticket(request: SignedInRequest, ticket_id: int) -> dict[str, Any]:
    return _detail(request, _visible(request, ticket_id))


# --- writing ----------------------------------------------------------------------------------


def _region_for_intake(request: HttpRequest, code: str) -> Region | None:
    if not code.strip():
        return None  # the service finds it from the coordinates or the address
    if is_public_user(request.user):
        # Residents and talents report anywhere in the district; the region is not theirs to see.
        region = Region.objects.filter(code=code.strip()).first()
    else:
        region = region_by_code(request.user, Perm.TICKET_CREATE, code)
    if region is None:
        raise DomainError(_("Unknown region, or outside your scope."))
    return region


@router.post(
    "/tickets",
    response={201: TicketCreatedOut, 400: Message, 403: Message},
    summary="Raise a ticket",
)
def submit_ticket(request: SignedInRequest, payload: TicketIn) -> Status[dict[str, Any]]:
    category = selectors.category_by_code(payload.category)
    if category is None:
        raise DomainError(_("Unknown category."))
    region = _region_for_intake(request, payload.region)
    if payload.source is not None and payload.source not in Source.values:
        raise DomainError(_("Unknown source."))
    intake = services.Intake(
        category=category,
        region=region,
        title=payload.title,
        description=payload.description,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        requester_name=payload.requester_name,
        requester_phone=payload.requester_phone,
    )
    if payload.source:
        intake.source = payload.source
    # A client that did not get our answer may send the same request again with the same key.
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise DomainError(
            _("An Idempotency-Key is at most %(n)s characters.") % {"n": MAX_IDEMPOTENCY_KEY}
        )
    intake.client_key = key
    t = services.submit(actor=request.user, intake=intake)
    return Status(201, {"id": t.pk, "number": t.number, "status": t.status, "version": t.version})


@router.post(
    "/tickets/{ticket_id}/actions/{name}",
    response={200: TicketDetailOut, 400: Message, 404: Message, 409: Message},
    summary="Take one step of the lifecycle (accept, dispatch, sign, handle, rate, close, …)",
)
def act(request: SignedInRequest, ticket_id: int, name: str, payload: ActionIn) -> dict[str, Any]:
    ticket = _visible(request, ticket_id)
    if name not in steps.STEPS:
        raise Http404
    values = payload.model_dump()
    steps.take(name, actor=request.user, ticket=ticket, version=payload.version, values=values)
    try:
        return _detail(request, _visible(request, ticket_id))
    except Http404:
        # The step took the ticket out of the caller's sight (a unit sending it back): they
        # still see the outcome of their own step.
        return _detail(request, services.get(ticket_id))
