"""Write services for the core: regions, service positions, assignments, API tokens and the
working-day calendar.

Each service runs in one transaction, checks write scope, saves, and records its audit event in the
same transaction. Updates are optimistic: the caller passes the version it read, and a stale version
raises :class:`ConflictError` instead of silently overwriting someone else's change.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.access import PUBLIC_ROLES, Perm, require, require_path, scope_for
from gridlight.core.compiled import CompiledQuery
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import (
    ApiToken,
    Assignment,
    CalendarNotice,
    PositionKind,
    Region,
    RegionKind,
    RegionLevel,
    Role,
    ServicePosition,
    User,
    WorkdayOverride,
)
from gridlight.core.models.regions import KIND_LEVEL, SEGMENT_WIDTH

# --- regions ---------------------------------------------------------------------------------


def next_child_path(parent: Region | None) -> str:
    """The path for a new child of ``parent`` (or a new root), one past the last sibling."""
    siblings = Region.objects.filter(parent=parent)
    last = siblings.aggregate(m=Max("path"))["m"]
    number = int(last.rsplit(".", 1)[-1]) + 1 if last else 1
    if number >= 10**SEGMENT_WIDTH:
        raise DomainError(_("Too many children under one region."))
    segment = f"{number:0{SEGMENT_WIDTH}d}"
    return f"{parent.path}.{segment}" if parent else segment


def check_kind_under(kind: str, parent: Region | None) -> None:
    if kind not in KIND_LEVEL:
        raise DomainError(_("Unknown region kind: %(kind)s") % {"kind": kind})
    expected = parent.level + 1 if parent else 0
    if KIND_LEVEL[kind] != expected:
        raise DomainError(
            _("A %(kind)s cannot be placed directly under %(parent)s.")
            % {"kind": RegionKind(kind).label, "parent": parent.name if parent else _("the root")}
        )


def _region_snapshot(r: Region) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "kind": r.kind, "sort_order": r.sort_order}


@transaction.atomic
def region_create(
    *, actor: User, parent: Region | None, kind: str, code: str, name: str, sort_order: int = 0
) -> Region:
    """Create a region under ``parent`` (a root needs district-wide rights: write scope on none)."""
    if parent is None:
        if not getattr(actor, "is_superuser", False):
            raise DomainError(_("Only a system administrator can create a new district."))
    else:
        require_path(actor, Perm.REGION_CHANGE, parent.path)
    check_kind_under(kind, parent)
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise DomainError(_("Code and name are required."))
    if Region.objects.filter(code=code).exists():
        raise DomainError(_("Region code %(code)s is already in use.") % {"code": code})
    if Region.objects.filter(parent=parent, name=name).exists():
        raise DomainError(_("%(name)s already exists at this level.") % {"name": name})
    region = Region.objects.create(
        parent=parent,
        kind=kind,
        level=KIND_LEVEL[kind],
        code=code,
        name=name,
        path=next_child_path(parent),
        sort_order=sort_order,
    )
    audit.record(
        actor=actor,
        action="region.create",
        obj=region,
        region_path=region.path,
        changes=audit.diff({}, _region_snapshot(region)),
    )
    return region


@transaction.atomic
def region_update(
    *, actor: User, region: Region, version: int, code: str, name: str, kind: str, sort_order: int
) -> Region:
    """Rename or recode a region. ``version`` is the one the editor read."""
    require_path(actor, Perm.REGION_CHANGE, region.path)
    check_kind_under(kind, region.parent)
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise DomainError(_("Code and name are required."))
    if Region.objects.filter(code=code).exclude(pk=region.pk).exists():
        raise DomainError(_("Region code %(code)s is already in use.") % {"code": code})
    if Region.objects.filter(parent=region.parent, name=name).exclude(pk=region.pk).exists():
        raise DomainError(_("%(name)s already exists at this level.") % {"name": name})
    before = _region_snapshot(region)
    updated = Region.objects.filter(pk=region.pk, version=version).update(
        code=code,
        name=name,
        kind=kind,
        sort_order=sort_order,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ConflictError(
            _("This region was changed by someone else after you opened it. Reload and retry.")
        )
    region.refresh_from_db()
    audit.record(
        actor=actor,
        action="region.update",
        obj=region,
        region_path=region.path,
        changes=audit.diff(before, _region_snapshot(region)),
    )
    return region


# --- service positions -----------------------------------------------------------------------


def _position_snapshot(p: ServicePosition) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "kind": p.kind,
        "region": p.region.code,
        "address": p.address,
        "longitude": p.longitude,
        "latitude": p.latitude,
        "opening_hours": p.opening_hours,
        "services": list(p.services),
        "phone": p.phone,
    }


def _check_position(
    *, code: str, name: str, kind: str, longitude: Decimal | None, latitude: Decimal | None
) -> None:
    if not code.strip() or not name.strip():
        raise DomainError(_("Code and name are required."))
    if kind not in PositionKind.values:
        raise DomainError(_("Unknown position kind: %(kind)s") % {"kind": kind})
    if (longitude is None) != (latitude is None):
        raise DomainError(_("Give both longitude and latitude, or neither."))
    if longitude is not None and not Decimal(-180) <= longitude <= Decimal(180):
        raise DomainError(_("Longitude must be between -180 and 180."))
    if latitude is not None and not Decimal(-90) <= latitude <= Decimal(90):
        raise DomainError(_("Latitude must be between -90 and 90."))


@transaction.atomic
def position_create(
    *,
    actor: User,
    region: Region,
    kind: str,
    code: str,
    name: str,
    address: str = "",
    longitude: Decimal | None = None,
    latitude: Decimal | None = None,
    opening_hours: str = "",
    services: list[str] | None = None,
    phone: str = "",
) -> ServicePosition:
    """Create a service position in ``region`` (inside the actor's write scope)."""
    require_path(actor, Perm.POSITION_CHANGE, region.path)
    _check_position(code=code, name=name, kind=kind, longitude=longitude, latitude=latitude)
    if ServicePosition.objects.filter(code=code.strip()).exists():
        raise DomainError(_("Position code %(code)s is already in use.") % {"code": code})
    position = ServicePosition.objects.create(
        region=region,
        region_path=region.path,
        kind=kind,
        code=code.strip(),
        name=name.strip(),
        address=address.strip(),
        longitude=longitude,
        latitude=latitude,
        opening_hours=opening_hours.strip(),
        services=[s.strip() for s in services or [] if s.strip()],
        phone=phone.strip(),
    )
    audit.record(
        actor=actor,
        action="position.create",
        obj=position,
        region_path=position.region_path,
        changes=audit.diff({}, _position_snapshot(position)),
    )
    return position


@transaction.atomic
def position_update(
    *, actor: User, position: ServicePosition, version: int, region: Region, **fields: Any
) -> ServicePosition:
    """Change a position; moving it needs write scope at both the old and the new place."""
    require_path(actor, Perm.POSITION_CHANGE, position.region_path)
    require_path(actor, Perm.POSITION_CHANGE, region.path)
    _check_position(
        code=fields["code"],
        name=fields["name"],
        kind=fields["kind"],
        longitude=fields.get("longitude"),
        latitude=fields.get("latitude"),
    )
    code = fields["code"].strip()
    if ServicePosition.objects.filter(code=code).exclude(pk=position.pk).exists():
        raise DomainError(_("Position code %(code)s is already in use.") % {"code": code})
    before = _position_snapshot(position)
    values = {
        "kind": fields["kind"],
        "code": code,
        "name": fields["name"].strip(),
        "address": fields.get("address", "").strip(),
        "longitude": fields.get("longitude"),
        "latitude": fields.get("latitude"),
        "opening_hours": fields.get("opening_hours", "").strip(),
        "services": [s.strip() for s in fields.get("services") or [] if s.strip()],
        "phone": fields.get("phone", "").strip(),
    }
    updated = ServicePosition.objects.filter(pk=position.pk, version=version).update(
        region=region,
        region_path=region.path,
        version=F("version") + 1,
        updated_at=timezone.now(),
        **values,
    )
    if not updated:
        raise ConflictError(
            _("This position was changed by someone else after you opened it. Reload and retry.")
        )
    position.refresh_from_db()
    audit.record(
        actor=actor,
        action="position.update",
        obj=position,
        region_path=position.region_path,
        changes=audit.diff(before, _position_snapshot(position)),
    )
    return position


@transaction.atomic
def position_delete(*, actor: User, position: ServicePosition) -> None:
    require_path(actor, Perm.POSITION_CHANGE, position.region_path)
    before = _position_snapshot(position)
    audit.record(
        actor=actor,
        action="position.delete",
        obj=position,
        region_path=position.region_path,
        changes=audit.diff(before, {}),
    )
    position.delete()


# --- users and assignments -------------------------------------------------------------------


# The level a role is held at (None: any level). Public roles are held at no region.
ROLE_LEVEL: dict[str, int | None] = {
    Role.DISTRICT_ADMIN: 0,
    Role.STREET_STAFF: 1,
    Role.COMMUNITY_SECRETARY: 2,
    Role.GRID_WORKER: 3,
    Role.DEPARTMENT_HANDLER: None,
    Role.TALENT_COMMISSIONER: None,
    Role.EVALUATOR: None,
}


def _check_grant(
    actor: User | None,
    role: str,
    region: Region | None,
    write_region: Region | None,
    *,
    as_system: bool,
) -> None:
    if role not in Role.values:
        raise DomainError(_("Unknown role: %(role)s") % {"role": role})
    if role in PUBLIC_ROLES:
        if region is not None or write_region is not None:
            raise DomainError(_("A public role is not held at a region."))
    else:
        if region is None:
            raise DomainError(_("Choose the region where the role is held."))
        level = ROLE_LEVEL[role]
        if level is not None and region.level != level:
            raise DomainError(
                _("A %(role)s is held at a %(level)s.")
                % {"role": Role(role).label, "level": RegionLevel(level).label}
            )
    if as_system:
        return
    if actor is None:
        raise PermissionDenied
    scope = scope_for(actor, Perm.USER_MANAGE)
    if region is None:
        # Public accounts are district-wide: only a manager of a whole district may create them.
        roots = Region.objects.filter(parent__isnull=True).values_list("path", flat=True)
        if not any(p in scope.paths for p in roots):
            raise PermissionDenied
    elif not scope.contains(region.path):
        raise PermissionDenied


@transaction.atomic
def assignment_grant(
    *,
    actor: User | None,
    user: User,
    role: str,
    region: Region | None,
    write_region: Region | None,
    as_system: bool = False,
) -> Assignment:
    """Give ``user`` a role at ``region``; the write region must lie inside the view region.

    The actor needs user-management rights over ``region``; ``as_system`` is for the operator's
    console command that appoints the first administrator.
    """
    _check_grant(actor, role, region, write_region, as_system=as_system)
    if (
        region is not None
        and write_region is not None
        and not (write_region.path + ".").startswith(region.path + ".")
    ):
        raise DomainError(_("The write scope must lie inside the view scope."))
    try:
        assignment = Assignment.objects.create(
            user=user,
            role=role,
            region=region,
            region_path=region.path if region else "",
            write_region=write_region,
            write_region_path=write_region.path if write_region else "",
        )
    except IntegrityError as exc:
        raise DomainError(_("This user already holds that role there.")) from exc
    audit.record(
        actor=None if as_system else actor,
        action="assignment.grant",
        obj=assignment,
        object_label=f"{user.username}: {assignment}",
        region_path=assignment.region_path,
        changes={"role": [None, role], "region": [None, region.code if region else None]},
    )
    return assignment


@transaction.atomic
def assignment_revoke(*, actor: User, assignment: Assignment) -> None:
    """End an assignment (kept, inactive, for the record)."""
    if assignment.region is not None:
        require_path(actor, Perm.USER_MANAGE, assignment.region_path)
    else:
        _check_grant(actor, assignment.role, None, None, as_system=False)
    if assignment.user_id == getattr(actor, "pk", None) and assignment.role == Role.DISTRICT_ADMIN:
        raise DomainError(_("You cannot remove your own administrator role."))
    if assignment.active:
        assignment.active = False
        assignment.save(update_fields=["active"])
        audit.record(
            actor=actor,
            action="assignment.revoke",
            obj=assignment,
            object_label=f"{assignment.user.username}: {assignment}",
            region_path=assignment.region_path,
        )


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    display_name: str,
    password: str,
    role: str,
    region: Region | None,
    write_region: Region | None,
) -> User:
    """Create an account together with its first role, so no account exists without one."""
    username = username.strip()
    _check_grant(actor, role, region, write_region, as_system=False)
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(_("The user name %(u)s is taken.") % {"u": username})
    user = User(username=username, display_name=display_name.strip())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    user.set_password(password)
    user.save()
    audit.record(
        actor=actor,
        action="user.create",
        obj=user,
        region_path=region.path if region else "",
        changes={"username": [None, username], "display_name": [None, display_name]},
    )
    assignment_grant(actor=actor, user=user, role=role, region=region, write_region=write_region)
    return user


# --- API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "glt_"  # noqa: S105 - a public marker, not a secret


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(
    *, actor: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a personal access token; returns it with its secret, which is never stored."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the token a name."))
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(_("The expiry must lie in the future."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=secret[:10],
        digest=token_digest(secret),
        expires_at=expires_at,
    )
    audit.record(actor=actor, action="token.create", obj=token)
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise DomainError(_("You can only revoke your own tokens."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="token.revoke", obj=token)


_LIVE_TOKEN = CompiledQuery(
    lambda digest: (
        ApiToken.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True)
        .order_by()
    ),
    "\0digest",
)


def token_authenticate(secret: str) -> User | None:
    """The user a bearer secret belongs to, if the token is live; records its last use."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    # Asked on every API request: by the unique digest, compiled once.
    token = _LIVE_TOKEN.one(token_digest(secret))
    if token is None:
        return None
    now = timezone.now()
    if not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- the working-day calendar -----------------------------------------------------------------


def _override_snapshot(o: WorkdayOverride | None) -> dict[str, Any]:
    if o is None:
        return {}
    return {"is_workday": o.is_workday, "note": o.note}


@transaction.atomic
def workday_override_set(
    *, actor: User, day: date, is_workday: bool, note: str = ""
) -> WorkdayOverride:
    """Make ``day`` a working day or a day off for the whole district (it wins over the national
    calendar). A day entered with a notice becomes the district's own."""
    require(actor, Perm.TICKET_ADMIN)
    before = WorkdayOverride.objects.select_for_update().filter(day=day).first()
    snapshot = _override_snapshot(before)
    override, _created = WorkdayOverride.objects.update_or_create(
        day=day, defaults={"is_workday": is_workday, "note": note.strip(), "notice": None}
    )
    audit.record(
        actor=actor,
        action="calendar.override",
        obj=override,
        object_label=str(day),
        changes=audit.diff(snapshot, _override_snapshot(override)),
    )
    return override


@transaction.atomic
def workday_override_delete(*, actor: User, override: WorkdayOverride) -> None:
    """Remove a day's override: the national calendar (or the regulation) decides it again."""
    require(actor, Perm.TICKET_ADMIN)
    audit.record(
        actor=actor,
        action="calendar.override_delete",
        obj=override,
        object_label=str(override.day),
        changes=audit.diff(_override_snapshot(override), {}),
    )
    override.delete()


# The most days one notice may hold (a year has seven holidays of at most eight days, and a
# make-up working day or two for each).
NOTICE_MAX_DAYS = 80


def _check_notice_days(year: int, days_off: list[date], workdays: list[date]) -> None:
    if not days_off:
        raise DomainError(_("A notice gives at least one day off."))
    if len(days_off) + len(workdays) > NOTICE_MAX_DAYS:
        raise DomainError(_("A notice holds at most %(n)s days.") % {"n": NOTICE_MAX_DAYS})
    both = sorted(set(days_off) & set(workdays))
    if both:
        raise DomainError(
            _("%(day)s is given both as a day off and as a working day.") % {"day": both[0]}
        )
    # A year's arrangements may begin in the December before it (元旦 in lieu days).
    first, last = date(year - 1, 12, 1), date(year, 12, 31)
    for day in sorted([*days_off, *workdays]):
        if not first <= day <= last:
            raise DomainError(
                _("%(day)s lies outside %(year)s (or the December before it).")
                % {"day": day, "year": year}
            )
    for day in sorted(workdays):
        if day.weekday() < 5:
            raise DomainError(
                _("%(day)s is a weekday: a make-up working day is a Saturday or Sunday worked.")
                % {"day": day}
            )


@transaction.atomic
def calendar_notice_enter(
    *,
    actor: User,
    year: int,
    document: str,
    days_off: Iterable[date],
    workdays: Iterable[date],
    version: int | None = None,
) -> CalendarNotice:
    """Enter the State Council's notice of ``year``'s holiday arrangements: its days off and
    make-up working days become overrides tied to the notice, and the year counts as known
    from then on. Entering it again (with the ``version`` read) replaces the notice's days;
    a day the district had set by hand is taken over by the notice. One audit event lists the
    days before and after."""
    require(actor, Perm.TICKET_ADMIN)
    document = document.strip()
    if not document:
        raise DomainError(_("Name the notice (its title or document number)."))
    off, work = sorted(set(days_off)), sorted(set(workdays))
    _check_notice_days(year, off, work)
    now = timezone.now()
    notice = CalendarNotice.objects.select_for_update().filter(year=year).first()
    if notice is None:
        if version:
            raise ConflictError(_("This notice was removed meanwhile. Reload the page."))
        try:
            with transaction.atomic():
                notice = CalendarNotice.objects.create(
                    year=year, document=document, entered_at=now, entered_by=actor
                )
        except IntegrityError as exc:
            raise ConflictError(
                _("Someone else entered the notice of %(year)s meanwhile. Reload the page.")
                % {"year": year}
            ) from exc
        before: dict[str, Any] = {}
    else:
        if version != notice.version:
            raise ConflictError(
                _("The notice of %(year)s was entered or changed meanwhile. Reload the page.")
                % {"year": year}
            )
        before = _notice_snapshot(notice)
        CalendarNotice.objects.filter(pk=notice.pk).update(
            document=document, entered_at=now, entered_by=actor, version=F("version") + 1
        )
        notice.refresh_from_db()
        WorkdayOverride.objects.filter(notice=notice).exclude(day__in=[*off, *work]).delete()
    replaced = {
        str(d): w
        for d, w in WorkdayOverride.objects.filter(day__in=[*off, *work])
        .exclude(notice=notice)
        .order_by("day")
        .values_list("day", "is_workday")
    }
    note = document[:100]
    WorkdayOverride.objects.bulk_create(
        [
            WorkdayOverride(day=d, is_workday=d in work, note=note, notice=notice)
            for d in [*off, *work]
        ],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["is_workday", "note", "notice", "updated_at"],
    )
    changes = audit.diff(before, _notice_snapshot(notice))
    if replaced:
        changes["replaced_overrides"] = [replaced, None]
    audit.record(
        actor=actor, action="calendar.notice", obj=notice, object_label=str(year), changes=changes
    )
    return notice


def _notice_snapshot(notice: CalendarNotice) -> dict[str, Any]:
    days = list(notice.days.order_by("day").values_list("day", "is_workday"))
    return {
        "document": notice.document,
        "days_off": [str(d) for d, w in days if not w],
        "workdays": [str(d) for d, w in days if w],
    }
