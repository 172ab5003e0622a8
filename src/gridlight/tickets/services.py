"""The ticket lifecycle as services. Each one checks who may act, makes the FSM transition, saves
it only if nobody else changed the ticket meanwhile (version check in the UPDATE), writes the
transition log row, an audit event and the dispatch facts, and queues notices — all in one
transaction. Two people acting at once: one succeeds, the other gets a ConflictError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from gridlight.core import audit
from gridlight.core.access import Perm, is_public_user, scope_for
from gridlight.core.compiled import insert
from gridlight.core.crypto import InvalidPhone, encrypt, parse_phone
from gridlight.core.errors import ConflictError, DomainError, UnprocessableError
from gridlight.core.models import Region, RegionLevel, User
from gridlight.core.selectors import street_id_of
from gridlight.core.uploads import MAX_FILES, Upload, check_upload
from gridlight.core.workdays import district_calendar
from gridlight.tickets import deadlines, facts, locate
from gridlight.tickets.access import ACTORS, can_dispatch
from gridlight.tickets.models import (
    Attachment,
    Card,
    Category,
    CloseReason,
    Notice,
    Satisfaction,
    Source,
    Status,
    Ticket,
    Transition,
    Unit,
)
from gridlight.tickets.selectors import is_group

# Fields a transition may change; saved together with the version check.
_STATE_FIELDS = (
    "status",
    "unit",
    "handler",
    "round",
    "dispatched_at",
    "sign_due",
    "return_due",
    "due_at",
    "yellow_at",
    "supervise_at",
    "extension_days",
    "extension_requested",
    "extension_reason",
    "card",
    "supervised",
    "return_count",
    "reopen_count",
    "resolved",
    "satisfaction",
    "rated",
    "close_reason",
    "closed_at",
    "duplicate_of",
)


# --- the common path of every transition ------------------------------------------------------


@dataclass
class Step:
    name: str
    reason: str = ""
    data: dict[str, Any] | None = None


def _apply(
    ticket: Ticket,
    *,
    actor: User,
    version: int,
    step: Step,
    call: Callable[[], Any] | None = None,
    check_actor: bool = True,
    at: datetime | None = None,
) -> Ticket:
    if check_actor and not ACTORS[step.name](actor, ticket):
        raise DomainError(_("You may not do this to this ticket."))
    if version != ticket.version:
        raise ConflictError(
            _("Someone else changed this ticket meanwhile. Reload it and try again.")
        )
    source = ticket.status
    try:
        (call or getattr(ticket, step.name))()
    except TransitionNotAllowed as exc:
        raise DomainError(_refusal(step.name, ticket)) from exc
    now = at or timezone.now()
    ticket.updated_at = now
    values: dict[str, Any] = {}
    for name in _STATE_FIELDS:
        attname = getattr(Ticket._meta.get_field(name), "attname", name)
        values[attname] = getattr(ticket, attname)
    updated = Ticket.objects.filter(pk=ticket.pk, version=version).update(
        version=version + 1, updated_at=now, **values
    )
    if not updated:
        raise ConflictError(
            _("Someone else changed this ticket meanwhile. Reload it and try again.")
        )
    ticket.version = version + 1
    Transition.objects.create(
        ticket=ticket,
        name=step.name,
        source=source,
        target=ticket.status,
        at=now,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        unit_id=ticket.unit_id,
        round=ticket.round,
        reason=step.reason[:500],
        data=step.data or {},
    )
    audit.record(
        actor=actor,
        action=f"ticket.{step.name}",
        obj=ticket,
        region_path=ticket.region_path,
        changes={
            "status": [source, ticket.status],
            **({"reason": step.reason} if step.reason else {}),
        },
    )
    if ticket.round:
        facts.refresh(ticket)
    return ticket


def _require_actor(actor: User, name: str, ticket: Ticket) -> None:
    """Refuse someone who may not take this step before looking at what they asked for."""
    if not ACTORS[name](actor, ticket):
        raise DomainError(_("You may not do this to this ticket."))


def _refusal(name: str, ticket: Ticket) -> str:
    if name == "rate" and ticket.rated:
        return _("This ticket has already been rated.")
    return _("This step is not possible while the ticket is “%(status)s”.") % {
        "status": ticket.get_status_display()
    }


def _notify(
    ticket: Ticket, kind: str, text: str, *, recipient: Any = None, unit: bool = False
) -> None:
    key = f"{ticket.pk}:{kind}:{ticket.round}:{ticket.version}"
    Notice.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "ticket": ticket,
            "unit_id": ticket.unit_id if unit else None,
            "recipient": recipient,
            "text": text[:300],
            "created_at": timezone.now(),
        },
    )


def _locked(pk: int) -> Ticket:
    return Ticket.objects.select_related("category__policy").get(pk=pk)


# --- intake -----------------------------------------------------------------------------------


@dataclass
class Intake:
    category: Category
    region: Region | None  # None: found from the coordinates or the address (tickets.locate)
    title: str
    description: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    requester_name: str = ""
    requester_phone: str = ""
    source: str = Source.RESIDENT
    visit_id: int | None = None
    client_key: str = ""  # the client's idempotency key, if it sent one
    # Staff raising a ticket for a signed-up public user (a commissioner for its talent): that
    # user is the requester, who follows and rates it as if raising it. Set by services only.
    on_behalf_of: User | None = None


def submit(*, actor: User, intake: Intake, uploads: list[Upload] | None = None) -> Ticket:
    """Raise a ticket. Residents and talents raise their own; staff raise them in their scope
    (grid visits, hotline calls).

    With a ``client_key`` (an API client's Idempotency-Key) the same key from the same user
    returns the ticket the first request stored instead of storing a second one: the unique
    constraint decides, so two copies racing each other cannot both be stored."""
    uploads = uploads or []
    if len(uploads) > MAX_FILES:
        raise DomainError(_("At most %(n)s attachments.") % {"n": MAX_FILES})
    checked = [check_upload(u) for u in uploads]
    category = intake.category
    if not category.active or is_group(category):
        raise DomainError(_("Choose a specific, active category."))
    title = intake.title.strip()
    description = intake.description.strip()
    if not title or not description:
        raise DomainError(_("A title and a description are needed."))
    if len(title) > 120:
        raise DomainError(_("The title is at most 120 characters."))
    if intake.region is None:
        # Before the checks below, which then hold for a found region as for a picked one.
        intake = replace(
            intake,
            region=locate.where(
                user=actor,
                latitude=intake.latitude,
                longitude=intake.longitude,
                address=intake.address,
            ),
        )
    region = intake.region
    assert region is not None
    if region.level == RegionLevel.DISTRICT:
        raise DomainError(_("Say which street, community or grid the problem is in."))
    public_user = is_public_user(actor)
    if public_user:
        if not category.public:
            raise DomainError(_("This category is not open to public submission."))
        source: str = Source.TALENT if category.talent else Source.RESIDENT
        requester: User | None = actor
    else:
        if not scope_for(actor, Perm.TICKET_CREATE).contains(region.path):
            raise DomainError(_("You may not raise tickets in this region."))
        source = intake.source
        if source not in Source.values:
            raise DomainError(_("Unknown source."))
        requester = intake.on_behalf_of
        if requester is not None and not is_public_user(requester):
            raise DomainError(_("A ticket is raised on behalf of a resident or a talent only."))
    phone_enc = ""
    if intake.requester_phone.strip():
        try:
            phone_enc = encrypt(parse_phone(intake.requester_phone))
        except InvalidPhone as exc:
            raise DomainError(str(exc)) from exc
    if (intake.latitude is not None and not -90 <= intake.latitude <= 90) or (
        intake.longitude is not None and not -180 <= intake.longitude <= 180
    ):
        raise DomainError(_("The coordinates are not valid."))
    creator = actor if getattr(actor, "is_authenticated", False) else None
    client_key = intake.client_key if creator is not None else ""
    street_id = street_id_of(region.path)
    try:
        # Inside a caller's transaction this is a savepoint, so a refused duplicate key leaves
        # the caller's work intact.
        with transaction.atomic():
            ticket = _create(
                intake,
                source=source,
                requester=requester,
                phone_enc=phone_enc,
                creator=creator,
                street_id=street_id,
                client_key=client_key,
                attachments=list(zip(uploads, checked, strict=True)),
            )
    except IntegrityError:
        earlier = (
            Ticket.objects.filter(created_by=creator, client_key=client_key).first()
            if client_key
            else None
        )
        if earlier is None:
            raise
        # The key names one request: sent again with another ticket it is refused. (The phone
        # is stored encrypted with a fresh nonce, so it is not compared.)
        same = (
            earlier.category_id,
            earlier.region_id,
            earlier.title,
            earlier.description,
            earlier.address,
            earlier.latitude,
            earlier.longitude,
            earlier.source,
        ) == (
            category.pk,
            region.pk,
            title,
            description,
            intake.address.strip()[:200],
            intake.latitude,
            intake.longitude,
            source,
        )
        if not same:
            raise UnprocessableError(
                _("This Idempotency-Key was used before for a different ticket.")
            ) from None
        return earlier
    return ticket


def _create(
    intake: Intake,
    *,
    source: str,
    requester: User | None,
    phone_enc: str,
    creator: User | None,
    street_id: int | None,
    client_key: str,
    attachments: list[tuple[Upload, str]],
) -> Ticket:
    category = intake.category
    region = intake.region
    assert region is not None
    now = timezone.now()
    ticket = insert(
        Ticket(
            category=category,
            region=region,
            region_path=region.path,
            street_id=street_id,
            source=source,
            title=intake.title.strip(),
            description=intake.description.strip(),
            address=intake.address.strip()[:200],
            latitude=intake.latitude,
            longitude=intake.longitude,
            requester=requester,
            requester_name=(intake.requester_name or (str(requester) if requester else "")).strip()[
                :60
            ],
            requester_phone_enc=phone_enc,
            created_by=creator,
            visit_id=intake.visit_id,
            talent=category.talent,
            client_key=client_key,
            created_at=now,
            updated_at=now,
        )
    )
    for upload, content_type in attachments:
        Attachment.objects.create(
            ticket=ticket,
            name=upload.name[:120],
            content_type=content_type,
            size=len(upload.data),
            data=upload.data,
            uploaded_by=creator,
        )
    insert(
        Transition(
            ticket=ticket,
            name="submit",
            source="",
            target=ticket.status,
            at=now,
            actor=creator,
            data={"source": source},
        )
    )
    audit.record(actor=creator, action="ticket.submit", obj=ticket, region_path=ticket.region_path)
    return ticket


# --- the dispatcher ---------------------------------------------------------------------------


@transaction.atomic
def accept(*, actor: User, ticket: Ticket, version: int) -> Ticket:
    return _apply(ticket, actor=actor, version=version, step=Step("accept"))


@transaction.atomic
def reject(*, actor: User, ticket: Ticket, version: int, reason: str) -> Ticket:
    _require_actor(actor, "reject", ticket)
    if not reason.strip():
        raise DomainError(_("Give a reason."))

    def call() -> None:
        ticket.reject()
        ticket.close_reason = CloseReason.REJECTED
        ticket.closed_at = timezone.now()

    t = _apply(ticket, actor=actor, version=version, step=Step("reject", reason), call=call)
    if t.requester_id:
        _notify(
            t,
            "rejected",
            _("Your ticket %(n)s was not accepted: %(r)s") % {"n": t.number, "r": reason},
            recipient=t.requester,
        )
    return t


@transaction.atomic
def dispatch(
    *,
    actor: User,
    ticket: Ticket,
    version: int,
    unit: Unit,
    note: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Send a ticket to a unit (accepting it first if need be) and start its deadlines."""
    if not unit.active:
        raise DomainError(_("This unit is no longer active."))
    if not (
        ticket.region_path == unit.region_path
        or ticket.region_path.startswith(unit.region_path + ".")
    ):
        raise DomainError(_("This unit does not serve the place of this ticket."))
    if not can_dispatch(actor, ticket):
        raise DomainError(_("You may not do this to this ticket."))
    if ticket.status == Status.SUBMITTED:
        ticket = _apply(ticket, actor=actor, version=version, step=Step("accept"), at=at)
        version = ticket.version
    now = at or timezone.now()
    d = deadlines.for_dispatch(district_calendar(), ticket.category.policy, now)

    def call() -> None:
        ticket.dispatch()
        _start_round(ticket, unit, d)
        ticket.dispatched_at = now

    t = _apply(
        ticket,
        actor=actor,
        version=version,
        step=Step("dispatch", note, _round_data(unit, d)),
        call=call,
        at=now,
    )
    _notify(
        t,
        "dispatched",
        _("New ticket %(n)s “%(t)s”: sign for it by %(s)s, handle it by %(d)s.")
        % {
            "n": t.number,
            "t": t.title,
            "s": deadlines.deadline_label(d.sign_due),
            "d": deadlines.deadline_label(d.due_at),
        },
        unit=True,
    )
    return t


def _start_round(ticket: Ticket, unit: Unit, d: deadlines.Deadlines) -> None:
    ticket.unit = unit
    ticket.handler = None
    ticket.round += 1
    ticket.sign_due = d.sign_due
    ticket.return_due = d.return_due
    ticket.due_at = d.due_at
    ticket.yellow_at = d.yellow_at
    ticket.supervise_at = d.supervise_at
    ticket.card = Card.NONE
    ticket.supervised = False
    ticket.extension_requested = 0
    ticket.extension_reason = ""
    ticket.rated = False


def _round_data(unit: Unit, d: deadlines.Deadlines) -> dict[str, Any]:
    return {"unit": unit.pk, "sign_due": d.sign_due.isoformat(), "due_at": d.due_at.isoformat()}


@transaction.atomic
def decide_extension(
    *, actor: User, ticket: Ticket, version: int, approve: bool, reason: str = ""
) -> Ticket:
    _require_actor(actor, "decide_extension", ticket)
    if not ticket.extension_requested:
        raise DomainError(_("No extension has been requested."))
    days = ticket.extension_requested
    data: dict[str, Any] = {"approved": approve, "days": days}

    def call() -> None:
        ticket.decide_extension()
        ticket.extension_requested = 0
        ticket.extension_reason = ""
        if approve:
            assert ticket.due_at is not None
            policy = ticket.category.policy
            due_day = district_calendar().add_workdays(
                deadlines.local_day(ticket.due_at - _DAY_EPS), days
            )
            moments = deadlines.handling(district_calendar(), policy, due_day)
            ticket.due_at = moments["due_at"]
            ticket.yellow_at = moments["yellow_at"]
            ticket.supervise_at = moments["supervise_at"]
            ticket.extension_days += days
            now = timezone.now()
            ticket.card = (
                Card.RED
                if ticket.due_at <= now
                else Card.YELLOW
                if ticket.yellow_at <= now
                else Card.NONE
            )
            ticket.supervised = ticket.supervised and ticket.supervise_at <= now
            data["due_at"] = ticket.due_at.isoformat()

    t = _apply(
        ticket, actor=actor, version=version, step=Step("decide_extension", reason, data), call=call
    )
    text = (
        _("Extension of %(d)s working days approved for %(n)s; new deadline %(due)s.")
        if approve
        else _("Extension of %(d)s working days refused for %(n)s.")
    ) % {"d": days, "n": t.number, "due": deadlines.deadline_label(t.due_at)}
    _notify(t, "extension", text, unit=True)
    return t


# A due_at is midnight after the last day; step back a moment to name that day.
_DAY_EPS = timedelta(seconds=1)


@transaction.atomic
def verify(*, actor: User, ticket: Ticket, version: int, passed: bool, note: str = "") -> Ticket:
    _require_actor(actor, "verify", ticket)
    if not passed and not note.strip():
        raise DomainError(_("Say what is still to be done."))
    return _apply(
        ticket,
        actor=actor,
        version=version,
        step=Step("verify", note, {"passed": passed}),
        call=lambda: ticket.verify(passed),
    )


@transaction.atomic
def rate(
    *,
    actor: User,
    ticket: Ticket,
    version: int,
    resolved: bool,
    satisfaction: str,
    comment: str = "",
) -> Ticket:
    """The person's judgment (given by them, or taken down by the dispatcher's follow-up call).
    A satisfied or basically satisfied person closes the ticket; an unsatisfied one leaves it for
    the dispatcher to reopen (重办) or close with an explanation."""
    _require_actor(actor, "rate", ticket)
    if satisfaction not in Satisfaction.values:
        raise DomainError(_("Choose how satisfied the person is."))

    def call() -> None:
        ticket.rate()
        ticket.rated = True
        ticket.resolved = resolved
        ticket.satisfaction = satisfaction

    t = _apply(
        ticket,
        actor=actor,
        version=version,
        step=Step("rate", comment, {"resolved": resolved, "satisfaction": satisfaction}),
        call=call,
    )
    if satisfaction != Satisfaction.UNSATISFIED:
        reason = CloseReason.RESOLVED if resolved else CloseReason.EXPLAINED
        t = _close(t, actor=actor, reason=reason, note="", check_actor=False)
    return t


@transaction.atomic
def reopen(*, actor: User, ticket: Ticket, version: int, reason: str) -> Ticket:
    """重办: back to the same unit with fresh deadlines."""
    _require_actor(actor, "reopen", ticket)
    if not reason.strip():
        raise DomainError(_("Give a reason."))
    unit = ticket.unit
    if unit is None:
        raise DomainError(_("This ticket was never dispatched."))
    now = timezone.now()
    d = deadlines.for_dispatch(district_calendar(), ticket.category.policy, now)

    def call() -> None:
        ticket.reopen()
        ticket.reopen_count += 1
        ticket.resolved = None
        ticket.satisfaction = ""
        _start_round(ticket, unit, d)
        ticket.dispatched_at = now

    t = _apply(
        ticket,
        actor=actor,
        version=version,
        step=Step("reopen", reason, _round_data(unit, d)),
        call=call,
        at=now,
    )
    _notify(
        t,
        "reopened",
        _("Ticket %(n)s reopened: %(r)s. Handle it by %(d)s.")
        % {"n": t.number, "r": reason, "d": deadlines.deadline_label(d.due_at)},
        unit=True,
    )
    return t


_CLOSE_AFTER_FOLLOW_UP = {CloseReason.RESOLVED, CloseReason.EXPLAINED, CloseReason.BACKLOG}
_CLOSE_BEFORE_DISPATCH = {CloseReason.DUPLICATE, CloseReason.WITHDRAWN}


def _close(
    ticket: Ticket,
    *,
    actor: User,
    reason: str,
    note: str,
    check_actor: bool = True,
    duplicate_of: Ticket | None = None,
) -> Ticket:
    if reason in _CLOSE_AFTER_FOLLOW_UP and ticket.status != Status.FOLLOW_UP:
        raise DomainError(
            _("A ticket can be closed as “%(r)s” only after it has been handled and followed up.")
            % {"r": CloseReason(reason).label}
        )
    if reason in _CLOSE_BEFORE_DISPATCH and ticket.status not in (
        Status.SUBMITTED,
        Status.ACCEPTED,
    ):
        raise DomainError(
            _("Only a ticket not yet dispatched can be closed as a duplicate or withdrawn.")
        )
    if reason not in _CLOSE_AFTER_FOLLOW_UP | _CLOSE_BEFORE_DISPATCH:
        raise DomainError(_("Choose a reason for closing."))

    def call() -> None:
        ticket.close()
        ticket.close_reason = reason
        ticket.closed_at = timezone.now()
        ticket.card = ticket.card if ticket.unit_id else Card.NONE
        ticket.duplicate_of = duplicate_of

    t = _apply(
        ticket,
        actor=actor,
        version=ticket.version,
        step=Step("close", note, {"reason": reason}),
        call=call,
        check_actor=check_actor,
    )
    if t.requester_id:
        _notify(
            t,
            "closed",
            _("Your ticket %(n)s is closed (%(r)s).")
            % {"n": t.number, "r": CloseReason(reason).label},
            recipient=t.requester,
        )
    return t


@transaction.atomic
def close(
    *,
    actor: User,
    ticket: Ticket,
    version: int,
    reason: str,
    note: str = "",
    duplicate_of: Ticket | None = None,
) -> Ticket:
    _require_actor(actor, "close", ticket)
    if version != ticket.version:
        raise ConflictError(
            _("Someone else changed this ticket meanwhile. Reload it and try again.")
        )
    if reason == CloseReason.DUPLICATE and (duplicate_of is None or duplicate_of.pk == ticket.pk):
        raise DomainError(_("Name the ticket this one duplicates."))
    if reason == CloseReason.BACKLOG and not note.strip():
        raise DomainError(_("Say why this problem cannot be solved now."))
    return _close(ticket, actor=actor, reason=reason, note=note, duplicate_of=duplicate_of)


@transaction.atomic
def withdraw(*, actor: User, ticket: Ticket, version: int, reason: str = "") -> Ticket:
    def call() -> None:
        ticket.withdraw()
        ticket.close_reason = CloseReason.WITHDRAWN
        ticket.closed_at = timezone.now()

    t = _apply(ticket, actor=actor, version=version, step=Step("withdraw", reason), call=call)
    if t.unit_id:
        _notify(t, "withdrawn", _("Ticket %(n)s was withdrawn.") % {"n": t.number}, unit=True)
    return t


# --- the unit ---------------------------------------------------------------------------------


@transaction.atomic
def sign(*, actor: User, ticket: Ticket, version: int) -> Ticket:
    def call() -> None:
        ticket.sign()
        ticket.handler = actor

    return _apply(ticket, actor=actor, version=version, step=Step("sign"), call=call)


@transaction.atomic
def start(*, actor: User, ticket: Ticket, version: int, note: str = "") -> Ticket:
    return _apply(ticket, actor=actor, version=version, step=Step("start", note))


@transaction.atomic
def send_back(*, actor: User, ticket: Ticket, version: int, reason: str) -> Ticket:
    """退单: the unit says the ticket is not theirs, within the return window."""
    _require_actor(actor, "send_back", ticket)
    if not reason.strip():
        raise DomainError(_("Give a reason."))
    if ticket.return_due and timezone.now() > ticket.return_due:
        raise DomainError(
            _("The return window ended on %(d)s; ask for an extension or handle it.")
            % {"d": deadlines.deadline_label(ticket.return_due)}
        )

    def call() -> None:
        ticket.send_back()
        ticket.return_count += 1
        ticket.handler = None
        ticket.card = Card.NONE
        ticket.supervised = False

    t = _apply(ticket, actor=actor, version=version, step=Step("send_back", reason), call=call)
    # The unit stays on the ticket until the next dispatch, so the log and facts know whose it was.
    return t


@transaction.atomic
def request_extension(
    *, actor: User, ticket: Ticket, version: int, days: int, reason: str
) -> Ticket:
    _require_actor(actor, "request_extension", ticket)
    policy = ticket.category.policy
    if days < 1:
        raise DomainError(_("Ask for at least one working day."))
    if ticket.extension_requested:
        raise DomainError(_("An extension request is already waiting for a decision."))
    if ticket.extension_days + days > policy.max_extension_days:
        raise DomainError(
            _("Extensions are limited to %(m)s working days in all; %(u)s already granted.")
            % {"m": policy.max_extension_days, "u": ticket.extension_days}
        )
    if not reason.strip():
        raise DomainError(_("Give a reason."))

    def call() -> None:
        ticket.request_extension()
        ticket.extension_requested = days
        ticket.extension_reason = reason.strip()[:200]

    return _apply(
        ticket,
        actor=actor,
        version=version,
        step=Step("request_extension", reason, {"days": days}),
        call=call,
    )


@transaction.atomic
def handle(*, actor: User, ticket: Ticket, version: int, result: str) -> Ticket:
    _require_actor(actor, "handle", ticket)
    if not result.strip():
        raise DomainError(_("Describe what was done."))
    verify_on_site = ticket.category.policy.verify_on_site
    t = _apply(
        ticket,
        actor=actor,
        version=version,
        step=Step("handle", result, {"verify_on_site": verify_on_site}),
        call=lambda: ticket.handle(verify_on_site),
    )
    if t.requester_id and t.status == Status.FOLLOW_UP:
        _notify(
            t,
            "handled",
            _("Your ticket %(n)s has been handled: %(r)s. Please tell us how it went.")
            % {"n": t.number, "r": result[:120]},
            recipient=t.requester,
        )
    return t


def get(pk: int) -> Ticket:
    return _locked(pk)
