"""Writes of the evaluation cycle. Each service checks the write scope, writes, and records its
audit event in one transaction; updates are optimistic (``version``) and a stale one is a
ConflictError (409). Domain errors carry the message pages and the API show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.access import Perm, require_path, scope_for
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import Assignment, Region, RegionLevel, ServicePosition, User
from gridlight.core.workdays import district_calendar
from gridlight.evaluation import scoring
from gridlight.evaluation.models import (
    INDICATORS,
    ActionItem,
    Assessment,
    AssessmentScore,
    Attendance,
    AttendanceStatus,
    Cadre,
    CycleYear,
    Entrant,
    Event,
    EventKind,
    Evidence,
    FocusArea,
    Inspection,
    Judge,
    Measure,
    Milestone,
    Participation,
    Rectification,
    Recusal,
    RecusalKind,
    Round,
    RoundKind,
    RoundStatus,
    Sheet,
    SheetStatus,
    SiteVisit,
    StandardItem,
    Standing,
    StreetBrand,
    StreetTask,
)

HUNDRED = Decimal(100)


def _stale(what: str) -> ConflictError:
    return ConflictError(
        _("%(what)s was changed by someone else after you opened it. Reload and retry.")
        % {"what": what}
    )


def _bump(model: Any, obj: Any, version: int, what: str, **values: Any) -> None:
    """``UPDATE … SET …, version = version + 1 WHERE pk = ? AND version = ?`` or a 409."""
    if not model.objects.filter(pk=obj.pk, version=version).update(
        version=F("version") + 1, **values
    ):
        raise _stale(what)
    obj.refresh_from_db()


def plain(value: Decimal) -> str:
    """A decimal as people write it: no exponent, no trailing zeros (10, 7.5)."""
    return format(value.normalize(), "f")


def check_weights(weights: Mapping[str, Any], what: str) -> dict[str, Decimal]:
    """Percentages that are each ≥ 0 and add up to exactly 100."""
    parsed: dict[str, Decimal] = {}
    for key, value in weights.items():
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise DomainError(_("The weight of %(k)s is not a number.") % {"k": key}) from None
        if not number.is_finite() or number < 0:
            raise DomainError(_("The weight of %(k)s must be 0 or more.") % {"k": key})
        parsed[key] = number
    total = sum(parsed.values(), Decimal(0))
    if total != HUNDRED:
        raise DomainError(
            _("The weights of %(what)s add up to %(total)s, not 100.")
            % {"what": what, "total": plain(total)}
        )
    return parsed


def street_of(path: str, district_path: str) -> str | None:
    """The path of the street (level under the district) that ``path`` lies in, if any."""
    if not path.startswith(district_path + "."):
        return None
    depth = district_path.count(".") + 2
    return ".".join(path.split(".")[:depth])


# --- the year and its plan ----------------------------------------------------------------------

DEFAULT_RANKING = {"arenas": 40, "assessment": 30, "observation": 30}
DEFAULT_ECHELON = {"leading": 85, "advanced": 75}


@transaction.atomic
def cycle_create(
    *,
    actor: User,
    district: Region,
    year: int,
    ranking_weights: Mapping[str, Any] | None = None,
    echelon_thresholds: Mapping[str, Any] | None = None,
) -> CycleYear:
    require_path(actor, Perm.EVALUATION_MANAGE, district.path)
    if district.level != RegionLevel.DISTRICT:
        raise DomainError(_("An evaluation year belongs to a district."))
    if not 2000 <= year <= 2100:
        raise DomainError(_("The year must lie between 2000 and 2100."))
    weights = check_weights(ranking_weights or DEFAULT_RANKING, _("the annual ranking"))
    if set(weights) != set(DEFAULT_RANKING):
        raise DomainError(_("The annual ranking weighs arenas, assessment and observation."))
    tiers = _check_echelon(echelon_thresholds or DEFAULT_ECHELON)
    if CycleYear.objects.filter(district=district, year=year).exists():
        raise DomainError(_("The year %(year)s is already planned.") % {"year": year})
    cycle = CycleYear.objects.create(
        district=district,
        region_path=district.path,
        year=year,
        ranking_weights={k: str(v) for k, v in weights.items()},
        echelon_thresholds=tiers,
    )
    audit.record(
        actor=actor,
        action="eval_cycle.create",
        obj=cycle,
        region_path=district.path,
        changes={"year": year, "ranking_weights": cycle.ranking_weights},
    )
    return cycle


@transaction.atomic
def cycle_update(
    *,
    actor: User,
    cycle: CycleYear,
    version: int,
    ranking_weights: Mapping[str, Any],
    echelon_thresholds: Mapping[str, Any],
) -> CycleYear:
    """Change the year's ranking weights and echelon thresholds (they take effect when the
    standings are computed next)."""
    require_path(actor, Perm.EVALUATION_MANAGE, cycle.region_path)
    weights = check_weights(ranking_weights, _("the annual ranking"))
    if set(weights) != set(DEFAULT_RANKING):
        raise DomainError(_("The annual ranking weighs arenas, assessment and observation."))
    tiers = _check_echelon(echelon_thresholds)
    before = {
        "ranking_weights": cycle.ranking_weights,
        "echelon_thresholds": cycle.echelon_thresholds,
    }
    after = {
        "ranking_weights": {k: str(v) for k, v in weights.items()},
        "echelon_thresholds": tiers,
    }
    _bump(CycleYear, cycle, version, _("This year"), **after)
    audit.record(
        actor=actor,
        action="eval_cycle.update",
        obj=cycle,
        region_path=cycle.region_path,
        changes=audit.diff(before, after),
    )
    return cycle


def _check_echelon(thresholds: Mapping[str, Any]) -> dict[str, str]:
    try:
        leading = Decimal(str(thresholds["leading"]))
        advanced = Decimal(str(thresholds["advanced"]))
    except (KeyError, InvalidOperation):
        raise DomainError(_("The echelon needs a leading and an advanced threshold.")) from None
    if not Decimal(0) <= advanced < leading <= HUNDRED:
        raise DomainError(_("The thresholds must satisfy 0 ≤ advanced < leading ≤ 100."))
    return {"leading": str(leading), "advanced": str(advanced)}


def _weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _first_workday(day: date) -> date:
    calendar = district_calendar()
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def plan_dates(year: int) -> list[tuple[str, int, date, str]]:
    """The cycle's events: (kind, number, date, title). Meetings on the first working day from
    the 10th; arenas in the last month of each quarter, from the 20th; the assessment on the first
    working day of July, the observation from 10 December."""
    events: list[tuple[str, int, date, str]] = []
    for month in range(1, 13):
        day = _first_workday(date(year, month, 10))
        events.append(
            (EventKind.MEETING, month, day, _("Monthly meeting, month %(m)s") % {"m": month})
        )
    for quarter in range(1, 5):
        day = _first_workday(date(year, quarter * 3, 20))
        events.append(
            (EventKind.ARENA, quarter, day, _("Quarterly arena, Q%(q)s") % {"q": quarter})
        )
    events.append(
        (EventKind.ASSESSMENT, 1, _first_workday(date(year, 7, 1)), _("Half-year assessment"))
    )
    events.append(
        (EventKind.OBSERVATION, 1, _first_workday(date(year, 12, 10)), _("Year-end observation"))
    )
    return sorted(events, key=lambda e: (e[2], e[0]))


@transaction.atomic
def cycle_plan(*, actor: User, cycle: CycleYear) -> list[Event]:
    """Generate the year's events; idempotent (existing events are kept as they are)."""
    require_path(actor, Perm.EVALUATION_MANAGE, cycle.region_path)
    have = set(cycle.events.values_list("kind", "number"))
    new = [
        Event(
            cycle=cycle,
            region_path=cycle.region_path,
            kind=kind,
            number=number,
            held_on=day,
            title=f"{cycle.year}年 {title}",
        )
        for kind, number, day, title in plan_dates(cycle.year)
        if (kind, number) not in have
    ]
    Event.objects.bulk_create(new)
    audit.record(
        actor=actor,
        action="eval_cycle.plan",
        obj=cycle,
        region_path=cycle.region_path,
        changes={"created": len(new)},
    )
    return list(cycle.events.all())


@transaction.atomic
def event_update(
    *, actor: User, event: Event, version: int, held_on: date, agenda: str, minutes: str
) -> Event:
    require_path(actor, Perm.EVALUATION_MANAGE, event.region_path)
    if held_on.year != event.cycle.year:
        raise DomainError(_("The date must lie in the event's year."))
    before = {"held_on": event.held_on, "agenda": event.agenda, "minutes": event.minutes}
    _bump(
        Event,
        event,
        version,
        _("This event"),
        held_on=held_on,
        agenda=agenda.strip(),
        minutes=minutes.strip(),
    )
    after = {"held_on": event.held_on, "agenda": event.agenda, "minutes": event.minutes}
    audit.record(
        actor=actor,
        action="eval_event.update",
        obj=event,
        region_path=event.region_path,
        changes=audit.diff(before, after),
    )
    return event


# --- 一街一品 -----------------------------------------------------------------------------


def _street_in(cycle: CycleYear, street: Region) -> None:
    if street.level != RegionLevel.STREET or street.parent_id != cycle.district_id:
        raise DomainError(_("%(name)s is not a street of this district.") % {"name": street})


@transaction.atomic
def brand_save(
    *,
    actor: User,
    cycle: CycleYear,
    street: Region,
    project: str,
    brand: str,
    focus_area: str,
    goals: str = "",
    version: int | None = None,
) -> StreetBrand:
    """Create a street's 一街一品 entry for the year, or change it (``version`` given)."""
    require_path(actor, Perm.EVALUATION_REPORT, street.path)
    _street_in(cycle, street)
    project, brand = project.strip(), brand.strip()
    if not project or not brand:
        raise DomainError(_("Name the key project and the brand."))
    if focus_area not in FocusArea.values:
        raise DomainError(_("Choose a focus area."))
    values = {"project": project, "brand": brand, "focus_area": focus_area, "goals": goals.strip()}
    existing = StreetBrand.objects.filter(cycle=cycle, street=street).first()
    if existing is None:
        try:
            with transaction.atomic():
                entry = StreetBrand.objects.create(
                    cycle=cycle, street=street, region_path=street.path, **values
                )
        except IntegrityError:
            raise _stale(_("This street's entry")) from None
        audit.record(
            actor=actor,
            action="eval_brand.create",
            obj=entry,
            region_path=street.path,
            changes=values,
        )
        return entry
    if version is None:
        raise DomainError(_("This street already has its entry for the year; change that one."))
    before = {k: getattr(existing, k) for k in values}
    _bump(StreetBrand, existing, version, _("This entry"), updated_at=timezone.now(), **values)
    audit.record(
        actor=actor,
        action="eval_brand.update",
        obj=existing,
        region_path=street.path,
        changes=audit.diff(before, values),
    )
    return existing


@transaction.atomic
def milestone_add(
    *, actor: User, brand: StreetBrand, title: str, planned_on: date, weight: int = 1
) -> Milestone:
    require_path(actor, Perm.EVALUATION_REPORT, brand.region_path)
    title = title.strip()
    if not title:
        raise DomainError(_("Give the milestone a title."))
    if planned_on.year != brand.cycle.year:
        raise DomainError(_("The planned date must lie in the entry's year."))
    if not 1 <= weight <= 100:
        raise DomainError(_("A milestone's weight lies between 1 and 100."))
    milestone = Milestone.objects.create(
        brand=brand,
        region_path=brand.region_path,
        title=title,
        planned_on=planned_on,
        weight=weight,
        sort_order=brand.milestones.count(),
    )
    audit.record(
        actor=actor,
        action="eval_milestone.create",
        obj=milestone,
        region_path=brand.region_path,
        changes={"title": title, "planned_on": str(planned_on), "weight": weight},
    )
    return milestone


@transaction.atomic
def milestone_done(
    *, actor: User, milestone: Milestone, version: int, done_on: date | None
) -> Milestone:
    """Mark a milestone done on a day (or not done again, ``done_on`` None)."""
    require_path(actor, Perm.EVALUATION_REPORT, milestone.region_path)
    if done_on is not None and done_on > timezone.localdate():
        raise DomainError(_("A milestone cannot be done in the future."))
    before = milestone.done_on
    _bump(Milestone, milestone, version, _("This milestone"), done_on=done_on)
    audit.record(
        actor=actor,
        action="eval_milestone.done",
        obj=milestone,
        region_path=milestone.region_path,
        changes=audit.diff({"done_on": before}, {"done_on": done_on}),
    )
    return milestone


EVIDENCE_TYPES = {
    "photo": {"image/jpeg", "image/png"},
    "document": {"application/pdf"},
}


@transaction.atomic
def evidence_add(
    *, actor: User, milestone: Milestone, kind: str, title: str, upload: Any
) -> Evidence:
    """Evidence checked like a ticket's attachment (core/uploads.py: size, and type by
    content and name alike), then by its kind (a photo is an image, a document a PDF)."""
    from gridlight.core.uploads import MAX_BYTES, Upload, check_upload

    require_path(actor, Perm.EVALUATION_REPORT, milestone.region_path)
    if kind not in EVIDENCE_TYPES:
        raise DomainError(_("Evidence is a photo or a document."))
    # Never read more than one byte past the limit: the check then refuses it by its size.
    data = upload.read(MAX_BYTES + 1)
    sniffed = check_upload(Upload(name=str(upload.name or ""), data=data))
    if sniffed not in EVIDENCE_TYPES[kind]:
        raise DomainError(_("A photo is a JPEG or PNG file, a document a PDF file."))
    evidence = Evidence.objects.create(
        milestone=milestone,
        region_path=milestone.region_path,
        kind=kind,
        title=(title.strip() or upload.name)[:120],
        content_type=sniffed,
        size=len(data),
        data=data,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="eval_milestone.evidence",
        obj=milestone,
        region_path=milestone.region_path,
        changes={"title": evidence.title, "kind": kind},
    )
    return evidence


# --- meetings ----------------------------------------------------------------------------------


@transaction.atomic
def attendance_record(
    *, actor: User, event: Event, street: Region, status: str, attendee: str = ""
) -> Attendance:
    require_path(actor, Perm.EVALUATION_MANAGE, event.region_path)
    _street_in(event.cycle, street)
    if status not in AttendanceStatus.values:
        raise DomainError(_("Choose present, excused or absent."))
    row, _created = Attendance.objects.update_or_create(
        event=event,
        street=street,
        defaults={"region_path": street.path, "status": status, "attendee": attendee.strip()[:60]},
    )
    audit.record(
        actor=actor,
        action="eval_attendance.record",
        obj=row,
        region_path=street.path,
        changes={"status": status},
    )
    return row


MAX_ACTION_WORKDAYS = 120


@transaction.atomic
def action_item_create(
    *,
    actor: User,
    event: Event,
    street: Region,
    title: str,
    workdays: int,
    owner: User | None = None,
    owner_name: str = "",
) -> ActionItem:
    """An action item of a meeting for a street, due ``workdays`` working days after it."""
    require_path(actor, Perm.EVALUATION_MANAGE, event.region_path)
    _street_in(event.cycle, street)
    title = title.strip()
    if not title:
        raise DomainError(_("Say what is to be done."))
    if not 1 <= workdays <= MAX_ACTION_WORKDAYS:
        raise DomainError(
            _("The time allowed is 1 to %(n)s working days.") % {"n": MAX_ACTION_WORKDAYS}
        )
    due_on = district_calendar().add_workdays(event.held_on, workdays)
    item = ActionItem.objects.create(
        event=event,
        street=street,
        region_path=street.path,
        title=title[:200],
        owner=owner,
        owner_name=(owner_name.strip() or (str(owner) if owner else ""))[:60],
        workdays=workdays,
        due_on=due_on,
    )
    audit.record(
        actor=actor,
        action="eval_action.create",
        obj=item,
        region_path=street.path,
        changes={"title": item.title, "due_on": str(due_on)},
    )
    return item


@transaction.atomic
def action_item_done(*, actor: User, item: ActionItem, version: int, done_on: date) -> ActionItem:
    require_path(actor, Perm.EVALUATION_REPORT, item.region_path)
    if done_on > timezone.localdate() or done_on < item.event.held_on:
        raise DomainError(_("The day it was done lies between the meeting and today."))
    _bump(ActionItem, item, version, _("This action item"), done_on=done_on)
    audit.record(
        actor=actor,
        action="eval_action.done",
        obj=item,
        region_path=item.region_path,
        changes={"done_on": str(done_on)},
    )
    return item


@transaction.atomic
def action_item_escalate(
    *, actor: User, item: ActionItem, version: int, category: Any, today: date | None = None
) -> ActionItem:
    """Raise an overdue action item as a ticket in its street (through the tickets app's own
    intake), once: the item keeps the ticket."""
    from gridlight.tickets import services as tickets
    from gridlight.tickets.models import Source

    require_path(actor, Perm.EVALUATION_MANAGE, item.event.region_path)
    today = today or timezone.localdate()
    if item.ticket_id is not None:
        raise DomainError(_("This action item was raised as a ticket already."))
    if item.done_on is not None or item.due_on >= today:
        raise DomainError(_("Only an overdue action item can be raised as a ticket."))
    ticket = tickets.submit(
        actor=actor,
        intake=tickets.Intake(
            category=category,
            region=item.street,
            title=_("Overdue action item: %(t)s") % {"t": item.title[:80]},
            description=_("%(event)s: %(t)s — owner %(owner)s, due %(due)s.")
            % {"event": item.event, "t": item.title, "owner": item.owner_name, "due": item.due_on},
            source=Source.HOTLINE,
        ),
    )
    _bump(ActionItem, item, version, _("This action item"), ticket=ticket)
    audit.record(
        actor=actor,
        action="eval_action.escalate",
        obj=item,
        region_path=item.region_path,
        changes={"ticket": ticket.pk},
    )
    return item


# --- judged rounds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionInput:
    name: str
    weight: Decimal
    max_score: Decimal
    min_score: Decimal = Decimal(0)


@transaction.atomic
def round_create(
    *,
    actor: User,
    event: Event,
    title: str,
    criteria: Sequence[CriterionInput],
    entrants: Sequence[Region],
    level: int = RegionLevel.STREET,
    trim: int = 1,
    trim_min: int = 5,
    deviation_z: Decimal = Decimal("2.5"),
) -> Round:
    require_path(actor, Perm.EVALUATION_MANAGE, event.region_path)
    kinds: dict[str, str] = {
        EventKind.ARENA: RoundKind.ARENA,
        EventKind.OBSERVATION: RoundKind.OBSERVATION,
    }
    if event.kind not in kinds:
        raise DomainError(_("Only arenas and the year-end observation are judged."))
    if level not in (RegionLevel.STREET, RegionLevel.COMMUNITY):
        raise DomainError(_("Streets or communities compete, nothing else."))
    if not criteria:
        raise DomainError(_("A round needs at least one criterion."))
    names = [c.name.strip() for c in criteria]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise DomainError(_("Each criterion needs its own name."))
    check_weights({c.name: c.weight for c in criteria}, _("the criteria"))
    for c in criteria:
        if c.weight <= 0:
            raise DomainError(_("Each criterion weighs more than 0."))
        if not Decimal(0) <= c.min_score < c.max_score <= Decimal(1000):
            raise DomainError(
                _("The range of %(c)s must run upwards within 0–1000.") % {"c": c.name}
            )
    if trim > 3 or trim_min < 2 * trim + 1:
        raise DomainError(
            _("Dropping %(t)s at each end needs at least %(n)s judges.")
            % {"t": trim, "n": 2 * trim + 1}
        )
    if not Decimal("1") <= deviation_z <= Decimal("10"):
        raise DomainError(_("The deviation flag lies between 1 and 10 standard deviations."))
    district = event.region_path
    regions = list(entrants)
    if not regions or len({r.pk for r in regions}) != len(regions):
        raise DomainError(_("List each entrant once."))
    for r in regions:
        if r.level != level or not r.path.startswith(district + "."):
            raise DomainError(_("%(name)s cannot enter this round.") % {"name": r})
    round_ = Round.objects.create(
        event=event,
        region_path=district,
        kind=kinds[event.kind],
        level=level,
        title=title.strip()[:120] or event.title,
        trim=trim,
        trim_min=trim_min,
        deviation_z=deviation_z,
    )
    round_.criteria.bulk_create(
        [
            round_.criteria.model(
                round=round_,
                name=c.name.strip(),
                weight=c.weight,
                min_score=c.min_score,
                max_score=c.max_score,
                sort_order=i,
            )
            for i, c in enumerate(criteria)
        ]
    )
    Entrant.objects.bulk_create(
        [
            Entrant(round=round_, region=r, region_path=r.path, order=i)
            for i, r in enumerate(regions)
        ]
    )
    audit.record(
        actor=actor,
        action="eval_round.create",
        obj=round_,
        region_path=district,
        changes={"criteria": names, "entrants": [r.name for r in regions]},
    )
    return round_


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


@transaction.atomic
def judge_appoint(*, actor: User, round_: Round, user: User) -> Judge:
    """Put a user on the panel. They must hold the judge's permission over the district; they
    are recused at once from every entrant their assignments place them in or over."""
    require_path(actor, Perm.EVALUATION_MANAGE, round_.region_path)
    if round_.status != RoundStatus.OPEN:
        raise DomainError(_("The panel of a closed round cannot change."))
    if not scope_for(user, Perm.EVALUATION_JUDGE).contains(round_.region_path):
        raise DomainError(_("%(u)s is not an evaluator of this district.") % {"u": user})
    home = sorted(
        {
            path
            for path in Assignment.objects.filter(user=user, active=True).values_list(
                "region_path", flat=True
            )
            if path.startswith(round_.region_path + ".")
        }
    )
    try:
        with transaction.atomic():
            judge = Judge.objects.create(
                round=round_, user=user, region_path=round_.region_path, home_paths=home
            )
    except IntegrityError:
        raise DomainError(_("%(u)s is on this panel already.") % {"u": user}) from None
    auto = [
        Recusal(judge=judge, entrant=e, kind=RecusalKind.AUTOMATIC, reason=_("Own region"))
        for e in round_.entrants.all()
        if any(_related(e.region_path, h) for h in home)
    ]
    Recusal.objects.bulk_create(auto)
    audit.record(
        actor=actor,
        action="eval_round.judge",
        obj=round_,
        region_path=round_.region_path,
        changes={"judge": str(user), "recused": [str(r.entrant) for r in auto]},
    )
    return judge


@transaction.atomic
def conflict_declare(*, actor: User, judge: Judge, entrant: Entrant, reason: str) -> Recusal:
    """A declared conflict (a former post, a relative): the judge is recused from the entrant.
    The judge may declare their own; the round's managers may declare any."""
    round_ = judge.round
    if judge.user_id != getattr(actor, "pk", None):
        require_path(actor, Perm.EVALUATION_MANAGE, round_.region_path)
    if entrant.round_id != round_.pk:
        raise DomainError(_("This entrant is not in the judge's round."))
    if round_.status != RoundStatus.OPEN:
        raise DomainError(_("The panel of a closed round cannot change."))
    if not reason.strip():
        raise DomainError(_("Say what the conflict is."))
    if Sheet.objects.filter(judge=judge, entrant=entrant, status=SheetStatus.CONFIRMED).exists():
        raise DomainError(_("The judge has sealed a sheet for this entrant already."))
    Sheet.objects.filter(judge=judge, entrant=entrant).delete()
    recusal, created = Recusal.objects.get_or_create(
        judge=judge,
        entrant=entrant,
        defaults={"kind": RecusalKind.DECLARED, "reason": reason.strip()[:200]},
    )
    if not created:
        raise DomainError(_("The judge is recused from this entrant already."))
    audit.record(
        actor=actor,
        action="eval_round.conflict",
        obj=round_,
        region_path=round_.region_path,
        changes={"judge": str(judge), "entrant": str(entrant), "reason": recusal.reason},
    )
    return recusal


class ScoreError(DomainError):
    """A score the criterion does not take; ``criterion`` names it (an import's column)."""

    def __init__(self, message: str, criterion: str) -> None:
        super().__init__(message)
        self.criterion = criterion


def _parse_scores(round_: Round, scores: Mapping[Any, Any]) -> dict[str, str]:
    criteria = list(round_.criteria.all())
    known = {str(c.pk) for c in criteria}
    extra = {str(k) for k in scores} - known
    if extra:
        raise DomainError(
            _("These criteria are not in the round: %(c)s.") % {"c": ", ".join(sorted(extra))}
        )
    parsed: dict[str, str] = {}
    for c in criteria:
        raw = scores.get(str(c.pk), scores.get(c.pk))
        if raw is None or str(raw).strip() == "":
            raise ScoreError(_("Score %(c)s.") % {"c": c.name}, c.name)
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ScoreError(
                _("The score for %(c)s is not a number.") % {"c": c.name}, c.name
            ) from None
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise ScoreError(_("Scores have at most two decimals (%(c)s).") % {"c": c.name}, c.name)
        if not c.min_score <= value <= c.max_score:
            raise ScoreError(
                _("The score for %(c)s must lie between %(lo)s and %(hi)s.")
                % {"c": c.name, "lo": plain(c.min_score), "hi": plain(c.max_score)},
                c.name,
            )
        parsed[str(c.pk)] = plain(value)
    return parsed


def sheet_check(
    *, round_: Round, judge: Judge, entrant: Entrant, scores: Mapping[Any, Any]
) -> dict[str, str]:
    """What every sheet must pass, whoever writes it (the judge on a phone, the secretary's
    import of paper sheets): the round still open (read under a row lock, so a close waits for
    the write), the entrant in the round, the judge not recused from it (their own street or a
    declared conflict), each criterion scored within its range. Returns the scores as stored."""
    locked = Round.objects.select_for_update().get(pk=round_.pk)
    if locked.status != RoundStatus.OPEN:
        raise DomainError(_("This round is closed: its sheets can no longer change."))
    if entrant.round_id != round_.pk:
        raise DomainError(_("This entrant is not in the round."))
    if Recusal.objects.filter(judge=judge, entrant=entrant).exists():
        raise DomainError(
            _("%(j)s is recused from %(e)s and cannot score it.") % {"j": judge, "e": entrant}
        )
    return _parse_scores(round_, scores)


def sheet_create(
    *,
    judge: Judge,
    entrant: Entrant,
    values: dict[str, str],
    confirm: bool,
    note: str = "",
    imported_by: User | None = None,
) -> Sheet:
    """Insert a sheet checked by :func:`sheet_check`; a second one from the same judge for the
    same entrant is refused by the unique constraint (two writers at once: one wins)."""
    try:
        with transaction.atomic():
            return Sheet.objects.create(
                round_id=entrant.round_id,
                judge=judge,
                entrant=entrant,
                region_path=entrant.region_path,
                scores=values,
                status=SheetStatus.CONFIRMED if confirm else SheetStatus.DRAFT,
                note=note.strip()[:200],
                confirmed_at=timezone.now() if confirm else None,
                imported_by=imported_by,
            )
    except IntegrityError:
        raise ConflictError(
            _("%(j)s has a sheet for %(e)s already; open it to change it.")
            % {"j": judge, "e": entrant}
        ) from None


@transaction.atomic
def sheet_save(
    *,
    actor: User,
    round_: Round,
    entrant: Entrant,
    scores: Mapping[Any, Any],
    version: int | None = None,
    confirm: bool = False,
    note: str = "",
) -> Sheet:
    """A judge writes (``version`` None) or changes their sheet for an entrant; ``confirm``
    seals it. Refused with nothing written: not a judge, the round closed, a recused entrant,
    a score out of range, a second sheet, a sealed sheet, a stale version."""
    judge = Judge.objects.filter(round=round_, user=actor).first()
    if judge is None or not scope_for(actor, Perm.EVALUATION_JUDGE).contains(round_.region_path):
        raise DomainError(_("You are not on this round's panel."))
    values = sheet_check(round_=round_, judge=judge, entrant=entrant, scores=scores)
    status = SheetStatus.CONFIRMED if confirm else SheetStatus.DRAFT
    if version is None:
        sheet = sheet_create(
            judge=judge, entrant=entrant, values=values, confirm=confirm, note=note
        )
    else:
        sheet_or_none = Sheet.objects.filter(judge=judge, entrant=entrant).first()
        if sheet_or_none is None:
            raise DomainError(_("There is no sheet to change."))
        sheet = sheet_or_none
        if sheet.status == SheetStatus.CONFIRMED:
            raise DomainError(_("This sheet is confirmed and sealed; it cannot change."))
        changed = Sheet.objects.filter(
            pk=sheet.pk, version=version, status=SheetStatus.DRAFT
        ).update(
            scores=values,
            status=status,
            note=note.strip()[:200],
            confirmed_at=timezone.now() if confirm else None,
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        if not changed:
            raise _stale(_("This sheet"))
        sheet.refresh_from_db()
    # The scores themselves stay out of the trail until the round closes: it is sealed too.
    audit.record(
        actor=actor,
        action="eval_sheet.confirm" if confirm else "eval_sheet.save",
        obj=sheet,
        region_path=entrant.region_path,
        changes={"status": status},
    )
    return sheet


def _inputs(
    round_: Round,
) -> tuple[
    list[scoring.Criterion], dict[tuple[int, int], dict[int, Fraction]], set[tuple[int, int]]
]:
    criteria = [
        scoring.Criterion(c.pk, Fraction(c.weight), Fraction(c.min_score), Fraction(c.max_score))
        for c in round_.criteria.all()
    ]
    sheets = {
        (s.judge_id, s.entrant_id): {int(k): Fraction(Decimal(v)) for k, v in s.scores.items()}
        for s in Sheet.objects.filter(round=round_, status=SheetStatus.CONFIRMED)
    }
    recused = set(Recusal.objects.filter(judge__round=round_).values_list("judge_id", "entrant_id"))
    return criteria, sheets, recused


def round_tabulate(round_: Round) -> scoring.Tabulation:
    """The round's results from its confirmed sheets (drafts do not count)."""
    criteria, sheets, recused = _inputs(round_)
    rule = scoring.Rule(
        trim=round_.trim, trim_min=round_.trim_min, deviation_z=float(round_.deviation_z)
    )
    entrants = list(round_.entrants.values_list("pk", flat=True))
    judges = list(round_.judges.values_list("pk", flat=True))
    return scoring.tabulate(criteria, entrants, judges, sheets, rule, recused)


@transaction.atomic
def round_close(*, actor: User, round_: Round, version: int) -> Round:
    """Close the round: sheets can no longer change, results are computed and stored (still
    unpublished). Draft sheets do not count; the missing ones are reported."""
    require_path(actor, Perm.EVALUATION_MANAGE, round_.region_path)
    locked = Round.objects.select_for_update().get(pk=round_.pk)
    if locked.status != RoundStatus.OPEN:
        raise DomainError(_("This round is closed already."))
    if not Sheet.objects.filter(round=round_, status=SheetStatus.CONFIRMED).exists():
        raise DomainError(_("No judge has confirmed a sheet yet."))
    result = round_tabulate(round_)
    for entrant in round_.entrants.all():
        r = result.results[entrant.pk]
        entrant.total = None if r.total is None else Decimal(str(scoring.as_float(r.total)))
        entrant.rank = r.rank
        entrant.breakdown = {
            "judges": r.judges,
            "means": {str(k): scoring.as_float(v) for k, v in r.means.items()},
            "untrimmed": scoring.as_float(r.untrimmed),
            "consensus_z": result.consensus_z.get(entrant.pk),
        }
        entrant.save(update_fields=["total", "rank", "breakdown"])
    for judge in round_.judges.all():
        report = result.judges[judge.pk]
        judge.report = {
            "sheets": report.sheets,
            "z": {str(k): round(v, 3) for k, v in report.z.items()},
            "leniency": None if report.leniency is None else round(report.leniency, 3),
            "flagged": [int(e) for e in report.flagged],  # type: ignore[call-overload]
            "moves": {str(k): list(v) for k, v in report.moves.items()},
            "missing": [int(e) for j, e in result.missing if j == judge.pk],  # type: ignore[call-overload]
        }
        judge.save(update_fields=["report"])
    _bump(
        Round, round_, version, _("This round"), status=RoundStatus.CLOSED, closed_at=timezone.now()
    )
    audit.record(
        actor=actor,
        action="eval_round.close",
        obj=round_,
        region_path=round_.region_path,
        changes={"status": [RoundStatus.OPEN, RoundStatus.CLOSED], "stable": result.stable},
    )
    return round_


@transaction.atomic
def round_publish(*, actor: User, round_: Round, version: int) -> Round:
    require_path(actor, Perm.EVALUATION_MANAGE, round_.region_path)
    if round_.status != RoundStatus.CLOSED:
        raise DomainError(_("Only a closed round can be published."))
    _bump(
        Round,
        round_,
        version,
        _("This round"),
        status=RoundStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action="eval_round.publish",
        obj=round_,
        region_path=round_.region_path,
        changes={"status": [RoundStatus.CLOSED, RoundStatus.PUBLISHED]},
    )
    return round_


# --- cadres (经纬雁阵) and positions (红色家园) ----------------------------------------------


@transaction.atomic
def cadre_create(*, actor: User, region: Region, kind: str, name: str, post: str) -> Cadre:
    require_path(actor, Perm.EVALUATION_REPORT, region.path)
    if region.level != RegionLevel.COMMUNITY:
        raise DomainError(_("A cadre belongs to a community or a village."))
    if not name.strip() or not post.strip():
        raise DomainError(_("Give the cadre's name and post."))
    cadre = Cadre.objects.create(
        region=region,
        region_path=region.path,
        kind=kind,
        name=name.strip()[:60],
        post=post.strip()[:60],
    )
    audit.record(actor=actor, action="eval_cadre.create", obj=cadre, region_path=region.path)
    return cadre


@transaction.atomic
def participation_add(
    *,
    actor: User,
    cadre: Cadre,
    measure: Measure,
    started_on: date,
    ended_on: date | None = None,
    unit: str = "",
    hours: Decimal = Decimal(0),
    round_: Round | None = None,
    note: str = "",
) -> Participation:
    require_path(actor, Perm.EVALUATION_REPORT, cadre.region_path)
    if ended_on is not None and ended_on < started_on:
        raise DomainError(_("The end lies before the start."))
    if measure.records_posting and (not unit.strip() or ended_on is None):
        raise DomainError(_("A temporary posting names its unit and its end date."))
    if not Decimal(0) <= hours <= Decimal(2000):
        raise DomainError(_("Training hours lie between 0 and 2000."))
    row = Participation.objects.create(
        cadre=cadre,
        measure=measure,
        region_path=cadre.region_path,
        round=round_,
        unit=unit.strip()[:120],
        started_on=started_on,
        ended_on=ended_on,
        hours=hours,
        note=note.strip()[:200],
    )
    audit.record(
        actor=actor,
        action="eval_cadre.participate",
        obj=cadre,
        region_path=cadre.region_path,
        changes={"measure": measure.name, "started_on": str(started_on)},
    )
    return row


@transaction.atomic
def inspection_record(
    *,
    actor: User,
    position: ServicePosition,
    inspected_on: date,
    failed: Iterable[StandardItem],
    deadline_workdays: int = 20,
    note: str = "",
) -> Inspection:
    """Record an inspection against the checklist: each failed item opens a rectification due
    ``deadline_workdays`` working days later."""
    require_path(actor, Perm.EVALUATION_MANAGE, position.region_path)
    if inspected_on > timezone.localdate():
        raise DomainError(_("An inspection cannot lie in the future."))
    if not 1 <= deadline_workdays <= 120:
        raise DomainError(_("The time to fix is 1 to 120 working days."))
    items = list(failed)
    if any(not i.active or (i.position_kind and i.position_kind != position.kind) for i in items):
        raise DomainError(_("An item does not apply to this position."))
    inspection = Inspection.objects.create(
        position=position,
        region_path=position.region_path,
        inspected_on=inspected_on,
        inspector=actor if getattr(actor, "is_authenticated", False) else None,
        note=note.strip(),
    )
    deadline = district_calendar().add_workdays(inspected_on, deadline_workdays)
    Rectification.objects.bulk_create(
        [
            Rectification(
                inspection=inspection, item=i, region_path=position.region_path, deadline=deadline
            )
            for i in {i.pk: i for i in items}.values()
        ]
    )
    audit.record(
        actor=actor,
        action="eval_inspection.record",
        obj=inspection,
        region_path=position.region_path,
        changes={"failed": [i.title for i in items]},
    )
    return inspection


@transaction.atomic
def rectification_fix(
    *, actor: User, rectification: Rectification, version: int, fixed_on: date, note: str = ""
) -> Rectification:
    require_path(actor, Perm.EVALUATION_REPORT, rectification.region_path)
    if fixed_on > timezone.localdate() or fixed_on < rectification.inspection.inspected_on:
        raise DomainError(_("The day it was fixed lies between the inspection and today."))
    _bump(
        Rectification,
        rectification,
        version,
        _("This rectification"),
        fixed_on=fixed_on,
        note=note.strip()[:200],
    )
    audit.record(
        actor=actor,
        action="eval_inspection.fix",
        obj=rectification,
        region_path=rectification.region_path,
        changes={"fixed_on": str(fixed_on)},
    )
    return rectification


# --- the half-year assessment and the annual standings ------------------------------------------


@transaction.atomic
def assessment_create(
    *,
    actor: User,
    event: Event,
    period_start: date,
    period_end: date,
    weights: Mapping[str, Any] | None = None,
) -> Assessment:
    from gridlight.evaluation import assessment

    require_path(actor, Perm.EVALUATION_MANAGE, event.region_path)
    if event.kind != EventKind.ASSESSMENT:
        raise DomainError(_("Only the half-year assessment event has an assessment."))
    if not assessment.check_period(period_start, period_end, event.cycle.year):
        raise DomainError(_("The period runs forwards within the event's year."))
    parsed = check_weights(weights or assessment.DEFAULT_WEIGHTS, _("the assessment"))
    unknown = set(parsed) - set(INDICATORS)
    if unknown:
        raise DomainError(_("Unknown indicators: %(c)s.") % {"c": ", ".join(sorted(unknown))})
    if Assessment.objects.filter(event=event).exists():
        raise DomainError(_("This event has its assessment already."))
    row = Assessment.objects.create(
        event=event,
        region_path=event.region_path,
        weights={k: str(v) for k, v in parsed.items()},
        period_start=period_start,
        period_end=period_end,
    )
    audit.record(
        actor=actor,
        action="eval_assessment.create",
        obj=row,
        region_path=event.region_path,
        changes={"weights": row.weights},
    )
    return row


@transaction.atomic
def assessment_compute(*, actor: User, assessment_: Assessment, version: int) -> Assessment:
    """Read the live figures and store each street's score, rank and breakdown (recomputing
    replaces the previous result)."""
    from gridlight.evaluation import assessment

    require_path(actor, Perm.EVALUATION_MANAGE, assessment_.region_path)
    lines = assessment.compute(actor, assessment_)
    places = assessment.ranks({line.street_id: line.total for line in lines})
    streets = Region.objects.in_bulk([line.street_id for line in lines])
    AssessmentScore.objects.filter(assessment=assessment_).delete()
    AssessmentScore.objects.bulk_create(
        [
            AssessmentScore(
                assessment=assessment_,
                region_id=line.street_id,
                region_path=streets[line.street_id].path,
                total=line.total,
                rank=places[line.street_id],
                breakdown=line.breakdown,
            )
            for line in lines
        ]
    )
    _bump(Assessment, assessment_, version, _("This assessment"), computed_at=timezone.now())
    audit.record(
        actor=actor,
        action="eval_assessment.compute",
        obj=assessment_,
        region_path=assessment_.region_path,
        changes={"created": len(lines)},
    )
    return assessment_


def _component_means(cycle: CycleYear, kind: str, level: int) -> dict[int, Decimal]:
    """Each region's mean total over the cycle's closed rounds of ``kind`` at ``level``."""
    from django.db.models import Avg

    rows = (
        Entrant.objects.filter(
            round__event__cycle=cycle,
            round__kind=kind,
            round__level=level,
            round__status__in=[RoundStatus.CLOSED, RoundStatus.PUBLISHED],
            total__isnull=False,
        )
        .values("region_id")
        .annotate(mean=Avg("total"))
    )
    return {r["region_id"]: Decimal(str(r["mean"])) for r in rows}


def _tier(total: Decimal, thresholds: Mapping[str, str]) -> str:
    if total >= Decimal(thresholds["leading"]):
        return Standing.Tier.LEADING
    if total >= Decimal(thresholds["advanced"]):
        return Standing.Tier.ADVANCED
    return Standing.Tier.FOLLOWING


@transaction.atomic
def standings_compute(*, actor: User, cycle: CycleYear) -> list[Standing]:
    """The annual street ranking (arenas, the latest computed assessment and the observation,
    weighted by the year's ranking weights; a missing component is left out and the others
    rescaled) and the community echelon (each community's mean over the year's community
    rounds, tiered by the year's thresholds). Recomputing replaces the previous standings."""
    from gridlight.evaluation.assessment import ranks

    require_path(actor, Perm.EVALUATION_MANAGE, cycle.region_path)
    weights = {k: Decimal(v) for k, v in cycle.ranking_weights.items()}
    parts: dict[str, dict[int, Decimal]] = {
        "arenas": _component_means(cycle, RoundKind.ARENA, RegionLevel.STREET),
        "observation": _component_means(cycle, RoundKind.OBSERVATION, RegionLevel.STREET),
        "assessment": {},
    }
    latest = (
        Assessment.objects.filter(event__cycle=cycle, computed_at__isnull=False)
        .order_by("-computed_at")
        .first()
    )
    if latest is not None:
        parts["assessment"] = dict(latest.scores.values_list("region_id", "total"))
    streets = {r.pk: r for r in Region.objects.filter(parent_id=cycle.district_id)}
    totals: dict[int, Decimal] = {}
    breakdown: dict[int, dict[str, Any]] = {}
    for pk in streets:
        got = {k: parts[k][pk] for k in weights if pk in parts[k] and weights[k]}
        if not got:
            continue
        counted = sum((weights[k] for k in got), Decimal(0))
        totals[pk] = (sum((weights[k] * v for k, v in got.items()), Decimal(0)) / counted).quantize(
            Decimal("0.0001")
        )
        breakdown[pk] = {k: (str(got[k]) if k in got else None) for k in weights}
    community = _component_means(cycle, RoundKind.OBSERVATION, RegionLevel.COMMUNITY)
    community |= {
        k: v
        for k, v in _component_means(cycle, RoundKind.ARENA, RegionLevel.COMMUNITY).items()
        if k not in community
    }
    regions = Region.objects.in_bulk(list(community))
    Standing.objects.filter(cycle=cycle).delete()
    rows = [
        Standing(
            cycle=cycle,
            region_id=pk,
            region_path=streets[pk].path,
            level=RegionLevel.STREET,
            total=total,
            rank=place,
            breakdown=breakdown[pk],
        )
        for pk, place in ranks(totals).items()
        for total in [totals[pk]]
    ]
    rows += [
        Standing(
            cycle=cycle,
            region_id=pk,
            region_path=regions[pk].path,
            level=RegionLevel.COMMUNITY,
            total=total.quantize(Decimal("0.0001")),
            rank=place,
            tier=_tier(total, cycle.echelon_thresholds),
        )
        for pk, place in ranks(community).items()
        for total in [community[pk]]
    ]
    Standing.objects.bulk_create(rows)
    audit.record(
        actor=actor,
        action="eval_standing.compute",
        obj=cycle,
        region_path=cycle.region_path,
        changes={"created": len(rows)},
    )
    return rows


@transaction.atomic
def site_visits_schedule(
    *,
    actor: User,
    event: Event,
    stops: Sequence[tuple[Region, ServicePosition | None]],
    start: Any,
    minutes: int,
    observers: Sequence[User],
) -> list[SiteVisit]:
    """The year-end observation's route: the stops in order, one slot of ``minutes`` each from
    ``start`` (the next slot begins where the last ended), the same observers throughout.
    Scheduling again replaces the route."""
    require_path(actor, Perm.EVALUATION_MANAGE, event.region_path)
    if event.kind != EventKind.OBSERVATION:
        raise DomainError(_("Only the year-end observation has a route."))
    if not 10 <= minutes <= 240:
        raise DomainError(_("A stop lasts 10 to 240 minutes."))
    for region, position in stops:
        if not region.path.startswith(event.region_path + "."):
            raise DomainError(_("%(name)s cannot enter this round.") % {"name": region})
        if position is not None and not position.region_path.startswith(region.path):
            raise DomainError(_("%(p)s does not lie in %(r)s.") % {"p": position, "r": region})
    SiteVisit.objects.filter(event=event).delete()
    visits = []
    slot = timedelta(minutes=minutes)
    for order, (region, position) in enumerate(stops, start=1):
        begins = start + slot * (order - 1)
        visits.append(
            SiteVisit.objects.create(
                event=event,
                region=region,
                region_path=region.path,
                position=position,
                order=order,
                starts_at=begins,
                ends_at=begins + slot,
            )
        )
    for visit in visits:
        visit.observers.set(observers)
    audit.record(
        actor=actor,
        action="eval_event.update",
        obj=event,
        region_path=event.region_path,
        changes={"created": len(visits)},
    )
    return visits


# --- the streets' quality-and-efficiency tasks (街道质效评估任务) ------------------------------


@dataclass(frozen=True)
class TaskInput:
    title: str
    weight: Decimal


def check_tasks(street: Region, tasks: Sequence[TaskInput]) -> list[TaskInput]:
    """A street's task list: named once each, weights above 0 adding up to 100."""
    if not tasks:
        raise DomainError(_("%(s)s needs at least one task.") % {"s": street})
    titles = [t.title.strip()[:120] for t in tasks]
    if any(not t for t in titles) or len(set(titles)) != len(titles):
        raise DomainError(_("Each task of %(s)s needs its own title.") % {"s": street})
    if any(t.weight <= 0 for t in tasks):
        raise DomainError(_("Each task weighs more than 0."))
    check_weights(
        {t: w.weight for t, w in zip(titles, tasks, strict=True)},
        _("the tasks of %(s)s") % {"s": street},
    )
    return [TaskInput(t, w.weight) for t, w in zip(titles, tasks, strict=True)]


def write_tasks(
    cycle: CycleYear, street: Region, tasks: Sequence[TaskInput]
) -> tuple[int, int, int, int]:
    """Replace a street's list, matched by title: a kept task keeps its done date. Returns
    (created, updated, unchanged, removed)."""
    existing = {
        t.title: t
        for t in StreetTask.objects.select_for_update().filter(cycle=cycle, street=street)
    }
    created = updated = unchanged = 0
    for t in tasks:
        row = existing.pop(t.title, None)
        if row is None:
            StreetTask.objects.create(
                cycle=cycle, street=street, region_path=street.path, title=t.title, weight=t.weight
            )
            created += 1
        elif row.weight != t.weight:
            StreetTask.objects.filter(pk=row.pk).update(weight=t.weight, version=F("version") + 1)
            updated += 1
        else:
            unchanged += 1
    if existing:
        StreetTask.objects.filter(pk__in=[t.pk for t in existing.values()]).delete()
    return created, updated, unchanged, len(existing)


@transaction.atomic
def tasks_set(
    *, actor: User, cycle: CycleYear, street: Region, tasks: Sequence[TaskInput]
) -> list[StreetTask]:
    """Set a street's evaluation tasks for the year (the district's decision): the whole list
    at once, so the weights always add up to 100; nothing is written when they do not."""
    require_path(actor, Perm.EVALUATION_MANAGE, cycle.region_path)
    _street_in(cycle, street)
    checked = check_tasks(street, tasks)
    _c, _u, _n, removed = write_tasks(cycle, street, checked)
    audit.record(
        actor=actor,
        action="eval_task.set",
        obj=cycle,
        region_path=street.path,
        changes={
            "street": street.name,
            "tasks": {t.title: plain(t.weight) for t in checked},
            "removed": removed,
        },
    )
    return list(StreetTask.objects.filter(cycle=cycle, street=street))


@transaction.atomic
def task_done(*, actor: User, task: StreetTask, version: int, done_on: date | None) -> StreetTask:
    """The street reports a task done on a day (or not done again, ``done_on`` None)."""
    require_path(actor, Perm.EVALUATION_REPORT, task.region_path)
    if done_on is not None and (done_on > timezone.localdate() or done_on.year != task.cycle.year):
        raise DomainError(_("The day it was done lies in the task's year, and not after today."))
    before = task.done_on
    _bump(StreetTask, task, version, _("This task"), done_on=done_on)
    audit.record(
        actor=actor,
        action="eval_task.done",
        obj=task,
        region_path=task.region_path,
        changes=audit.diff({"done_on": before}, {"done_on": done_on}),
    )
    return task
