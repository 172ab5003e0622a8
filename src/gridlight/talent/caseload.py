"""Writes for the commissioners' caseloads: the contact cadence, assignment, handover and bulk
reassignment, the service log and the commissioner's desk (office phone, takes cases).

Each service runs in one transaction with its audit rows. Moving records between commissioners
is set-based: one version-checked UPDATE per table and chunk, and the audit rows made by the
database from the moved rows (``INSERT … SELECT``), so a handover of a thousand records costs a
handful of statements. The next contact is due ``cadence days`` after the last one (calendar
days: a cadence is a rhythm, not a deadline); a record never contacted is due from the day it
is assigned.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F, Func, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields import DateField
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit
from gridlight.core.access import Perm, Scope, require, require_path, scope_for
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import Assignment, AuditEvent, Role, User
from gridlight.talent.models import (
    Cadence,
    CommissionerProfile,
    ContactKind,
    Enterprise,
    EnterpriseTag,
    ServiceLog,
    TagKind,
    Talent,
    TalentLevel,
)

_CHUNK = 900  # ids per IN (...): SQLite allows a limited number of parameters
# The kinds a commissioner records here; "problem found" is written by raising the problem
# (it makes the ticket and its log entry together).
RECORDABLE = (ContactKind.VISIT, ContactKind.CALL, ContactKind.SERVICE)
ENTERPRISE_CADENCE = ""  # the cadence row of key enterprises (no talent level)

audit.register_actions(
    "caseload",
    gettext_lazy("Caseload"),
    {
        "assign": gettext_lazy("commissioner assigned"),
        "handover": gettext_lazy("caseload handed over"),
        "contact": gettext_lazy("contact recorded"),
        "cadence": gettext_lazy("contact cadence changed"),
    },
)
audit.register_actions(
    "commissioner", gettext_lazy("Talent commissioner"), {"update": gettext_lazy("desk changed")}
)


class DatePlusDays(Func):
    """``date + n days`` as a date, on SQLite and PostgreSQL alike (Django's date + duration
    gives a datetime text on SQLite)."""

    output_field = DateField()

    def __init__(self, expression: Any, days: int) -> None:
        super().__init__(expression, days=int(days))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template=f"date(%(expressions)s, '+{self.extra['days']} days')"
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template=f"(%(expressions)s + {self.extra['days']})"
        )


# --- the cadence ---------------------------------------------------------------------------------


def cadence_days() -> dict[str, int]:
    """Days between contacts by talent level ('' for key enterprises), as configured."""
    return dict(Cadence.objects.values_list("level", "days"))


def _days_for(level: str, cadences: dict[str, int] | None = None) -> int:
    days = (cadences if cadences is not None else cadence_days()).get(level)
    if days is None:
        raise DomainError(_("No contact cadence is set for this level."))
    return days


def require_district(actor: User, path: str = "") -> Scope:
    """Caseloads and the cadence are the district's to arrange (``talent.assign``)."""
    scope = require(actor, Perm.TALENT_ASSIGN)
    if path and not scope.contains(path):
        raise PermissionDenied
    return scope


@transaction.atomic
def cadence_update(*, actor: User, level: str, days: int, version_days: int) -> int:
    """Set the days between contacts for a talent level ('' for key enterprises), and move
    every due date of that level in a single UPDATE: the next contact is due ``days`` after
    the last. ``version_days`` is the value the editor saw (the row's optimistic lock).
    Returns how many due dates moved."""
    require_cadence_scope(actor)
    if not 7 <= days <= 366:
        raise DomainError(_("Contacts are 7 to 366 days apart."))
    if level != ENTERPRISE_CADENCE and level not in TalentLevel.values:
        raise DomainError(_("Choose a talent level."))
    row = Cadence.objects.filter(level=level).first()
    if row is None:
        row = Cadence.objects.create(level=level, days=days)
        before = None
    else:
        before = row.days
        if not Cadence.objects.filter(pk=row.pk, days=version_days).update(days=days):
            raise ConflictError(_("This cadence was changed by someone else. Reload and retry."))
        row.days = days
    moved = _reschedule(level, days)
    audit.record(
        actor=actor,
        action="caseload.cadence",
        obj=row,
        object_label=_level_label(level),
        changes={"days": [before, days], "rescheduled": moved},
    )
    return moved


def require_cadence_scope(actor: User) -> None:
    """The cadence holds for every talent and enterprise: only a user whose ``talent.assign``
    scope covers all of them may change it (403 otherwise), as the traffic light's rules."""
    scope = require_district(actor)
    outside = Talent.objects.exclude(scope.q("region_path")).exists() or (
        Enterprise.objects.exclude(scope.q("region_path")).exists()
    )
    if outside:
        raise PermissionDenied


def _level_label(level: str) -> str:
    return str(TalentLevel(level).label) if level else str(_("Key enterprises"))


def _reschedule(level: str, days: int) -> int:
    """Recompute the due dates of one cadence row: one UPDATE."""
    if level == ENTERPRISE_CADENCE:
        qs: QuerySet[Any] = Enterprise.objects.all()
    else:
        qs = Talent.objects.filter(level=level)
    return qs.filter(last_contact_on__isnull=False).update(
        next_contact_due=DatePlusDays(F("last_contact_on"), days)
    )


def reschedule_all() -> int:
    """Recompute every due date from the last contacts (the demo's last step; a repair)."""
    return sum(_reschedule(level, days) for level, days in cadence_days().items())


# --- who may take a case -------------------------------------------------------------------------


def commissioner_scope(commissioner: Any) -> Scope:
    """Where ``commissioner`` serves: the write regions of its active talent-commissioner
    roles (another role it holds does not make it a commissioner there)."""
    paths = Assignment.objects.filter(
        user_id=commissioner.pk, role=Role.TALENT_COMMISSIONER, active=True
    ).values_list("write_region_path", flat=True)
    return Scope.of(paths)


def takes_cases(commissioner: Any) -> bool:
    return CommissionerProfile.objects.filter(user_id=commissioner.pk, active=True).exists()


def _require_commissioner(commissioner: Any, paths: Iterable[str]) -> None:
    if not takes_cases(commissioner):
        raise DomainError(
            _("%(name)s is not an active talent commissioner.") % {"name": commissioner}
        )
    scope = commissioner_scope(commissioner)
    outside = sorted({p for p in paths if not scope.contains(p)})
    if outside:
        raise DomainError(
            _("%(name)s does not serve the street of every record to assign.")
            % {"name": commissioner}
        )


def is_key_enterprise(enterprise: Enterprise) -> bool:
    return EnterpriseTag.objects.filter(
        enterprise_id=enterprise.pk, kind=TagKind.KEY_INTRODUCED
    ).exists()


# --- assignment, bulk reassignment, handover -----------------------------------------------------


@dataclass(frozen=True)
class Pick:
    """A record chosen for (re)assignment and the version its editor saw."""

    pk: int
    version: int


@transaction.atomic
def caseload_reassign(
    *,
    actor: User,
    commissioner: User,
    talents: Iterable[Pick] = (),
    enterprises: Iterable[Pick] = (),
) -> int:
    """Make ``commissioner`` responsible for the chosen talents and key enterprises. Each
    record is version-checked (someone editing it meanwhile makes the whole step refuse, 409);
    the new commissioner must take cases and serve every record's street; the actor must hold
    ``talent.assign`` over every record. One UPDATE and one audit INSERT per table and chunk.
    Returns how many records changed hands (records already with ``commissioner`` are kept)."""
    require_district(actor)
    moved = 0
    for model, picks in ((Talent, list(talents)), (Enterprise, list(enterprises))):
        if not picks:
            continue
        rows = _load(model, picks)
        if model is Enterprise:
            keys = set(
                EnterpriseTag.objects.filter(
                    enterprise_id__in=[p.pk for p in picks], kind=TagKind.KEY_INTRODUCED
                ).values_list("enterprise_id", flat=True)
            )
            if len(keys) != len({p.pk for p in picks}):
                raise DomainError(_("Only key enterprises have a commissioner."))
        scope = require_district(actor)
        for _pk, path, _old, _v in rows:
            if not scope.contains(path):
                raise PermissionDenied
        _require_commissioner(commissioner, [r[1] for r in rows])
        changing = [(pk, v, old) for pk, _p, old, v in rows if old != commissioner.pk]
        moved += _move(actor, model, changing, commissioner)
    return moved


def _load(model: Any, picks: list[Pick]) -> list[tuple[int, str, int | None, int]]:
    """(pk, region path, commissioner id, version) of the picked rows; 404-free: a missing or
    stale row is a conflict."""
    wanted = {p.pk: p.version for p in picks}
    ids = sorted(wanted)
    rows: list[tuple[int, str, int | None, int]] = []
    for k in range(0, len(ids), _CHUNK):
        rows += model.objects.filter(pk__in=ids[k : k + _CHUNK]).values_list(
            "pk", "region_path", "commissioner_id", "version"
        )
    if len(rows) != len(ids) or any(wanted[pk] != v for pk, _p, _c, v in rows):
        raise ConflictError(_("A record was changed by someone else. Reload and retry."))
    return rows


def _move(actor: User, model: Any, rows: list[tuple[int, int, int | None]], to: User) -> int:
    """Hand ``rows`` (pk, version seen, old commissioner) to ``to``: per old commissioner and
    chunk one audit INSERT … SELECT, then one version-checked UPDATE."""
    by_old: dict[int | None, list[tuple[int, int]]] = {}
    for pk, version, old in rows:
        by_old.setdefault(old, []).append((pk, version))
    names = dict(
        User.objects.filter(pk__in=[o for o in by_old if o is not None]).values_list(
            "pk", "display_name"
        )
    )
    today = timezone.localdate()
    moved = 0
    for old, picks in by_old.items():
        for k in range(0, len(picks), _CHUNK):
            chunk = picks[k : k + _CHUNK]
            ids = [pk for pk, _v in chunk]
            changes = {"commissioner": [names.get(old) if old else None, str(to)]}
            _audit_rows(actor, model, ids, "caseload.assign", changes)
            versioned = Q()
            for pk, version in chunk:
                versioned |= Q(pk=pk, version=version)
            updated = (
                model.objects.filter(versioned)
                .filter(commissioner_id=old)
                .update(
                    commissioner_id=to.pk,
                    version=F("version") + 1,
                    # Never contacted: due from today, with the new commissioner.
                    next_contact_due=_due_or_today(today),
                )
            )
            if updated != len(chunk):
                raise ConflictError(_("A record was changed by someone else. Reload and retry."))
            moved += updated
    return moved


def _due_or_today(today: date) -> Any:
    from django.db.models import Case, Value, When

    return Case(
        When(last_contact_on__isnull=True, then=Value(today)),
        default=F("next_contact_due"),
        output_field=DateField(),
    )


def _audit_rows(
    actor: User, model: Any, ids: list[int], action: str, changes: dict[str, Any]
) -> None:
    """One audit event per record, as ``audit.record`` writes it, made by the database from
    the records' rows in one statement (their label and region path)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"INSERT INTO {AuditEvent._meta.db_table} (at, actor_id, actor_label, action, "  # noqa: S608
        "object_type, object_id, object_label, region_path, changes, ip) "
        "SELECT %s, %s, %s, %s, %s, CAST(id AS VARCHAR(64)), SUBSTR(name, 1, 200), "
        f"region_path, CAST(%s AS {json_type}), %s "
        f"FROM {model._meta.db_table} WHERE id IN ({marks})"
    )
    params = [
        connection.ops.adapt_datetimefield_value(timezone.now()),
        user.pk if user else None,
        str(user.get_username()) if user else "system",
        action,
        model._meta.label_lower,
        json.dumps(changes, ensure_ascii=False),
        audit.current_ip.get(),
        *ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@transaction.atomic
def caseload_assign_talent(
    *, actor: User, talent: Talent, version: int, commissioner: User
) -> None:
    """Make ``commissioner`` responsible for one talent (as :func:`caseload_reassign`)."""
    require_district(actor, talent.region_path)
    if not caseload_reassign(
        actor=actor, commissioner=commissioner, talents=[Pick(talent.pk, version)]
    ):
        raise DomainError(_("This commissioner already serves this record."))


@transaction.atomic
def caseload_assign_enterprise(
    *, actor: User, enterprise: Enterprise, version: int, commissioner: User
) -> None:
    """Make ``commissioner`` responsible for one key enterprise (as :func:`caseload_reassign`)."""
    require_district(actor, enterprise.region_path)
    if not caseload_reassign(
        actor=actor, commissioner=commissioner, enterprises=[Pick(enterprise.pk, version)]
    ):
        raise DomainError(_("This commissioner already serves this record."))


@dataclass(frozen=True)
class Handover:
    talents: int
    enterprises: int


@transaction.atomic
def caseload_handover(
    *, actor: User, leaver: User, version: int, successor: User, deactivate: bool = False
) -> Handover:
    """The leaver's whole caseload — talents and key enterprises — to ``successor`` in one
    step: one UPDATE per table (and 900 records), the audit rows made alongside, one summary
    event on the leaver's desk. ``version`` is the leaver's desk version as the form showed
    it: a caseload changed meanwhile (a desk edit, another handover) refuses with 409.
    ``deactivate`` marks the leaver as no longer taking cases."""
    scope = require_district(actor)
    if leaver.pk == successor.pk:
        raise DomainError(_("Choose another commissioner to take the caseload."))
    profile = CommissionerProfile.objects.filter(user_id=leaver.pk).first()
    if profile is None:
        raise DomainError(_("%(name)s has no caseload.") % {"name": leaver})
    if not CommissionerProfile.objects.filter(pk=profile.pk, version=version).update(
        version=F("version") + 1, **({"active": False} if deactivate else {})
    ):
        raise ConflictError(_("This caseload was changed by someone else. Reload and retry."))
    successor_scope = commissioner_scope(successor)
    counts = []
    for model in (Talent, Enterprise):
        caseload = model.objects.filter(commissioner_id=leaver.pk)
        # Checked by the database, whatever the caseload's size.
        if caseload.exclude(scope.q("region_path")).exists():
            raise PermissionDenied
        if caseload.exclude(successor_scope.q("region_path")).exists():
            raise DomainError(
                _("%(name)s does not serve the street of every record to assign.")
                % {"name": successor}
            )
        ids = list(caseload.values_list("pk", flat=True).order_by("pk"))
        if ids and not takes_cases(successor):
            raise DomainError(
                _("%(name)s is not an active talent commissioner.") % {"name": successor}
            )
        changes = {"commissioner": [str(leaver), str(successor)]}
        for k in range(0, len(ids), _CHUNK):
            chunk = ids[k : k + _CHUNK]
            _audit_rows(actor, model, chunk, "caseload.handover", changes)
            model.objects.filter(pk__in=chunk, commissioner_id=leaver.pk).update(
                commissioner_id=successor.pk, version=F("version") + 1
            )
        counts.append(len(ids))
    audit.record(
        actor=actor,
        action="caseload.handover",
        obj=profile,
        object_label=str(leaver),
        changes={
            "commissioner": [str(leaver), str(successor)],
            "talents": counts[0],
            "enterprises": counts[1],
            **({"active": [profile.active, False]} if deactivate else {}),
        },
    )
    return Handover(counts[0], counts[1])


# --- the service log -----------------------------------------------------------------------------


def _require_contact(actor: User, subject: Talent | Enterprise) -> None:
    """The responsible commissioner records its contacts (in its write scope); the district
    may record for anyone in its scope."""
    if scope_for(actor, Perm.TALENT_ASSIGN).contains(subject.region_path):
        return
    require_path(actor, Perm.TALENT_CHANGE, subject.region_path)
    if subject.commissioner_id != actor.pk:
        raise PermissionDenied


@transaction.atomic
def contact_record(
    *,
    actor: User,
    kind: str,
    on: date,
    notes: str = "",
    talent: Talent | None = None,
    enterprise: Enterprise | None = None,
) -> ServiceLog:
    """Record a visit, a call or a service delivered to a talent or a key enterprise; the
    last contact moves to ``on`` (if later) and the next one falls due a cadence later."""
    subject: Talent | Enterprise | None = talent or enterprise
    if subject is None or (talent is not None and enterprise is not None):
        raise DomainError(_("Record a contact with one talent or one enterprise."))
    _require_contact(actor, subject)
    if kind not in RECORDABLE:
        raise DomainError(_("Choose a visit, a call or a service delivered."))
    if on > timezone.localdate():
        raise DomainError(_("A contact cannot be recorded in the future."))
    if on < timezone.localdate() - timedelta(days=366):
        raise DomainError(_("A contact more than a year ago cannot be recorded."))
    if len(notes) > 2000:
        raise DomainError(_("The notes are at most 2,000 characters."))
    entry = ServiceLog.objects.create(
        talent=talent,
        enterprise=enterprise,
        region_path=subject.region_path,
        commissioner=actor,
        kind=kind,
        on=on,
        notes=notes.strip(),
    )
    contacted(subject, on)
    audit.record(
        actor=actor,
        action="caseload.contact",
        obj=entry,
        object_label=str(subject),
        region_path=subject.region_path,
        changes={"kind": kind, "on": on.isoformat()},
    )
    return entry


def contacted(subject: Talent | Enterprise, on: date) -> None:
    """Move ``subject``'s last contact to ``on`` (if later) and its next contact a cadence
    after the last. Any service that logs a contact calls this in its transaction (raising a
    problem does too)."""
    level = subject.level if isinstance(subject, Talent) else ENTERPRISE_CADENCE
    last = max(on, subject.last_contact_on or on)
    due = last + timedelta(days=_days_for(level))
    type(subject).objects.filter(pk=subject.pk).update(last_contact_on=last, next_contact_due=due)
    subject.last_contact_on, subject.next_contact_due = last, due


def last_contacts_from_log() -> None:
    """Set every talent's and enterprise's last contact from its service log (two UPDATEs),
    then the due dates from the cadence: the demo's last step, and a repair."""
    for model, field in ((Talent, "talent_id"), (Enterprise, "enterprise_id")):
        latest = (
            ServiceLog.objects.filter(**{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(m=Max("on"))
            .values("m")
        )
        model.objects.update(last_contact_on=Subquery(latest[:1]))
    reschedule_all()


# --- the commissioner's desk ---------------------------------------------------------------------


@transaction.atomic
def commissioner_update(
    *, actor: User, commissioner: User, version: int, office_phone: str, active: bool
) -> CommissionerProfile:
    """The commissioner's office phone (shown to its talents and enterprises) and whether it
    takes cases. A commissioner edits its own phone; the district edits any desk in its scope.
    A commissioner with a caseload cannot stop taking cases: hand the caseload over first."""
    own = actor.pk == commissioner.pk
    assign_scope = scope_for(actor, Perm.TALENT_ASSIGN)
    served = commissioner_scope(commissioner).paths
    district = bool(served) and all(assign_scope.contains(p) for p in served)
    if not (own and served) and not district:
        raise PermissionDenied
    office_phone = office_phone.strip()
    if len(office_phone) > 20 or (office_phone and not _PHONE_CHARS.issuperset(office_phone)):
        raise DomainError(_("An office phone is digits, spaces, + and -, at most 20."))
    profile, _created = CommissionerProfile.objects.get_or_create(user_id=commissioner.pk)
    if active != profile.active and not district:
        raise PermissionDenied
    if not active and profile.active and _has_caseload(commissioner):
        raise DomainError(_("Hand the caseload over before this commissioner stops taking cases."))
    before = {"office_phone": profile.office_phone, "active": profile.active}
    if not CommissionerProfile.objects.filter(pk=profile.pk, version=version).update(
        office_phone=office_phone, active=active, version=F("version") + 1
    ):
        raise ConflictError(_("This desk was changed by someone else. Reload and retry."))
    profile.refresh_from_db()
    audit.record(
        actor=actor,
        action="commissioner.update",
        obj=profile,
        object_label=str(commissioner),
        changes=audit.diff(before, {"office_phone": office_phone, "active": active}),
    )
    return profile


_PHONE_CHARS = frozenset("0123456789 +-")


def _has_caseload(commissioner: Any) -> bool:
    return (
        Talent.objects.filter(commissioner_id=commissioner.pk).exists()
        or Enterprise.objects.filter(commissioner_id=commissioner.pk).exists()
    )
