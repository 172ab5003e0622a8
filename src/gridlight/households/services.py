"""Write services for households and residents. Each checks write scope, saves, audits, and
reclassifies the household in the same transaction, so its light always matches its data."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit, personal
from gridlight.core.access import Perm, require_path, scope_for
from gridlight.core.crypto import InvalidPhone
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.idcard import InvalidIdNumber
from gridlight.core.models import Region, RegionLevel, User
from gridlight.households.classify import classify_one
from gridlight.households.models import (
    Attribute,
    AttributeScope,
    AttributeValue,
    Household,
    HouseholdStatus,
    Light,
    LightChange,
    Relation,
    Resident,
    ResidentStatus,
    Visit,
    VisitMethod,
)


@dataclass
class MemberInput:
    name: str
    id_number: str = ""
    phone: str = ""
    relation: str = Relation.OTHER
    attributes: dict[str, int | None] = field(default_factory=dict)  # code → grade


def _grid(region: Region) -> Region:
    if region.level != RegionLevel.GRID:
        raise DomainError(_("A household belongs to a grid."))
    return region


def _catalogue() -> dict[str, Attribute]:
    return {a.code: a for a in Attribute.objects.filter(active=True)}


# --- what a member or an attribute may hold (pages, the API and the import ask the same) -------


def relation_problem(relation: str) -> str | None:
    """Why ``relation`` cannot be stored (it is not one of the list), or None. The household
    export names every member's relation, so one outside the list would break it for everyone
    in scope."""
    if relation in Relation.values:
        return None
    return _("Choose the relation to the head of household from the list.")


def grade_problem(attribute: Attribute, grade: int | None) -> str | None:
    """Why ``grade`` cannot be recorded for ``attribute``, or None: a graded attribute takes no
    grade or one from 1 to 4, an ungraded one takes none."""
    if grade is None:
        return None
    if not attribute.graded:
        return _("%(a)s takes no grade.") % {"a": attribute.name}
    if isinstance(grade, bool) or not 1 <= grade <= 4:
        return _("The grade of %(a)s must be 1 to 4.") % {"a": attribute.name}
    return None


def _check_attributes(attrs: dict[str, int | None], scope: str) -> None:
    catalogue = _catalogue()
    for code, grade in attrs.items():
        attribute = catalogue.get(code)
        if attribute is None:
            raise DomainError(_("Unknown attribute: %(c)s") % {"c": code})
        if attribute.applies_to != scope:
            raise DomainError(
                _("%(a)s is not recorded for a %(s)s.")
                % {"a": attribute.name, "s": AttributeScope(scope).label}
            )
        problem = grade_problem(attribute, grade)
        if problem:
            raise DomainError(problem)


def _resident_fields(member: MemberInput, *, exclude_pk: int = 0) -> dict[str, Any]:
    name = member.name.strip()
    if not name:
        raise DomainError(_("Every member needs a name."))
    problem = relation_problem(member.relation)
    if problem:
        raise DomainError(f"{name}: {problem}")
    try:
        numbers = personal.stored_numbers(id_number=member.id_number, phone=member.phone)
    except InvalidIdNumber as exc:
        raise DomainError(f"{name}: {exc.message}") from exc
    except InvalidPhone as exc:
        raise DomainError(f"{name}: {exc}") from exc
    index = numbers["id_number_index"]
    if index is not None and (
        Resident.objects.filter(id_number_index=index).exclude(pk=exclude_pk).exists()
    ):
        raise DomainError(_("%(n)s: this ID number is already registered.") % {"n": name})
    values: dict[str, Any] = {"name": name, "relation": member.relation, **numbers}
    return values


def _set_attributes(h: Household, resident: Resident | None, attrs: dict[str, int | None]) -> None:
    AttributeValue.objects.filter(household=h, resident=resident).delete()
    AttributeValue.objects.bulk_create(
        [
            AttributeValue(household=h, resident=resident, attribute_id=code, grade=grade)
            for code, grade in attrs.items()
        ]
    )


@transaction.atomic
def household_register(
    *,
    actor: User,
    grid: Region,
    code: str,
    address: str,
    members: list[MemberInput],
    attributes: list[str] | None = None,
    registered_on: date | None = None,
) -> Household:
    """Register a household with its members; it is classified at once."""
    require_path(actor, Perm.HOUSEHOLD_CHANGE, grid.path)
    _grid(grid)
    code, address = code.strip(), address.strip()
    if not code or not address:
        raise DomainError(_("Household number and address are required."))
    if not members:
        raise DomainError(_("A household has at least one member."))
    if Household.objects.filter(code=code).exists():
        raise DomainError(_("Household number %(c)s is already registered.") % {"c": code})
    household_attrs = dict.fromkeys(attributes or [])
    _check_attributes(household_attrs, "household")
    for m in members:
        _check_attributes(m.attributes, "resident")
    h = Household.objects.create(
        code=code,
        grid=grid,
        region_path=grid.path,
        address=address,
        registered_on=registered_on or timezone.localdate(),
    )
    _set_attributes(h, None, household_attrs)
    for m in members:
        try:
            r = Resident.objects.create(
                household=h, region_path=h.region_path, **_resident_fields(m)
            )
        except IntegrityError as exc:
            raise DomainError(_("%(n)s: this ID number appears twice.") % {"n": m.name}) from exc
        _set_attributes(h, r, m.attributes)
    audit.record(
        actor=actor,
        action="household.register",
        obj=h,
        region_path=h.region_path,
        changes={"members": [None, len(members)], "address": [None, address]},
    )
    classify_one(h, actor=actor)
    return h


def _locked(h: Household, version: int) -> None:
    updated = Household.objects.filter(pk=h.pk, version=version).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ConflictError(
            _("This household was changed by someone else after you opened it. Reload and retry.")
        )
    h.version = version + 1


@transaction.atomic
def household_update(
    *, actor: User, household: Household, version: int, address: str, attributes: list[str]
) -> Household:
    require_path(actor, Perm.HOUSEHOLD_CHANGE, household.region_path)
    attrs = dict.fromkeys(attributes)
    _check_attributes(attrs, "household")
    before = {
        "address": household.address,
        "attributes": sorted(
            AttributeValue.objects.filter(household=household, resident=None).values_list(
                "attribute_id", flat=True
            )
        ),
    }
    _locked(household, version)
    household.address = address.strip()
    Household.objects.filter(pk=household.pk).update(address=household.address)
    _set_attributes(household, None, attrs)
    audit.record(
        actor=actor,
        action="household.update",
        obj=household,
        region_path=household.region_path,
        changes=audit.diff(before, {"address": household.address, "attributes": sorted(attrs)}),
    )
    classify_one(household, actor=actor)
    return household


@transaction.atomic
def resident_save(
    *,
    actor: User,
    household: Household,
    version: int,
    member: MemberInput,
    resident: Resident | None = None,
) -> Resident:
    """Add a member, or change one (``resident`` given); the household is reclassified."""
    require_path(actor, Perm.HOUSEHOLD_CHANGE, household.region_path)
    _check_attributes(member.attributes, "resident")
    fields = _resident_fields(member, exclude_pk=resident.pk if resident else 0)
    _locked(household, version)
    if resident is None:
        resident = Resident.objects.create(
            household=household, region_path=household.region_path, **fields
        )
        action = "resident.add"
    else:
        Resident.objects.filter(pk=resident.pk).update(version=F("version") + 1, **fields)
        resident.refresh_from_db()
        action = "resident.update"
    _set_attributes(household, resident, member.attributes)
    audit.record(
        actor=actor,
        action=action,
        obj=resident,
        object_label=resident.name,
        region_path=household.region_path,
        changes={"attributes": sorted(member.attributes), "relation": member.relation},
    )
    classify_one(household, actor=actor)
    return resident


@transaction.atomic
def resident_depart(*, actor: User, resident: Resident, status: str, on: date) -> None:
    """Record a death or a move-out; a household left with nobody is dissolved."""
    h = resident.household
    require_path(actor, Perm.HOUSEHOLD_CHANGE, h.region_path)
    if status not in {ResidentStatus.DECEASED, ResidentStatus.MOVED_OUT}:
        raise DomainError(_("Choose death or moving out."))
    if resident.status != ResidentStatus.PRESENT:
        raise DomainError(_("%(n)s no longer lives here.") % {"n": resident.name})
    if on > timezone.localdate():
        raise DomainError(_("The date cannot lie in the future."))
    Resident.objects.filter(pk=resident.pk).update(
        status=status, status_on=on, version=F("version") + 1
    )
    AttributeValue.objects.filter(resident=resident).delete()
    audit.record(
        actor=actor,
        action=f"resident.{status}",
        obj=resident,
        object_label=resident.name,
        region_path=h.region_path,
        changes={"on": on.isoformat()},
    )
    if not Resident.objects.filter(household=h, status=ResidentStatus.PRESENT).exists():
        Household.objects.filter(pk=h.pk).update(
            status=HouseholdStatus.DISSOLVED, next_visit_due=None
        )
        audit.record(actor=actor, action="household.dissolve", obj=h, region_path=h.region_path)
    else:
        classify_one(h, actor=actor)


# Every row that belongs to a household and carries its region (a copy of the household's path,
# so scope filters never join up to the household). A move rewrites all of them with the
# household, or the old street keeps reaching the household through them: a departed member's ID
# number, a visit's problems, the light history in its dashboard. A ticket raised from a visit is
# not here: it keeps the region where it was raised (tickets/models.py).
CARRIED_BY_HOUSEHOLD: tuple[type[Resident] | type[Visit] | type[LightChange], ...] = (
    Resident,
    Visit,
    LightChange,
)
_CHUNK = 900  # ids per IN (...): SQLite allows a limited number of parameters


@transaction.atomic
def household_move(*, actor: User, household: Household, version: int, grid: Region) -> None:
    """Move a household to another grid (write scope needed at both ends), with its members
    (departed ones too), visits and light history; audited as ``household.move``."""
    require_path(actor, Perm.HOUSEHOLD_CHANGE, household.region_path)
    require_path(actor, Perm.HOUSEHOLD_CHANGE, grid.path)
    _locked(household, version)
    _relocate(actor, {household.pk: grid})
    household.grid, household.region_path = grid, grid.path


@transaction.atomic
def household_move_many(*, actor: User, moves: dict[int, Region]) -> int:
    """Move many households (household id → grid) as :func:`household_move` moves one, in a
    few set-based statements (an import may move thousands): per target grid and 900
    households one audit INSERT … SELECT and one UPDATE, then one UPDATE per carried table and
    900 households. Returns how many moved."""
    return _relocate(actor, moves, bump_version=True)


def _relocate(actor: User, moves: dict[int, Region], *, bump_version: bool = False) -> int:
    """The one place a household changes region. Runs in the caller's transaction."""
    if not moves:
        return 0
    scope = scope_for(actor, Perm.HOUSEHOLD_CHANGE)
    ids = sorted(moves)
    found: list[tuple[int, str]] = []
    for k in range(0, len(ids), _CHUNK):
        found += Household.objects.filter(pk__in=ids[k : k + _CHUNK]).values_list(
            "pk", "region_path"
        )
    if len(found) != len(ids):
        raise DomainError(_("A household to move does not exist."))
    for pk, old in found:
        grid = _grid(moves[pk])
        if not (scope.contains(old) and scope.contains(grid.path)):
            raise PermissionDenied
        if old == grid.path:
            raise DomainError(_("The household is already in this grid."))
    by_grid: dict[Region, list[int]] = defaultdict(list)
    for pk in ids:
        by_grid[moves[pk]].append(pk)
    now = timezone.now()
    for grid, pks in by_grid.items():
        changes: dict[str, Any] = {"grid": grid, "region_path": grid.path, "updated_at": now}
        if bump_version:
            changes["version"] = F("version") + 1
        for k in range(0, len(pks), _CHUNK):
            chunk = pks[k : k + _CHUNK]
            _audit_moves(actor, chunk, grid)  # reads the old paths: before the UPDATE
            Household.objects.filter(pk__in=chunk).update(**changes)
    household_path = Household.objects.filter(pk=OuterRef("household_id")).values("region_path")
    for model in CARRIED_BY_HOUSEHOLD:
        for k in range(0, len(ids), _CHUNK):
            model.objects.filter(household_id__in=ids[k : k + _CHUNK]).update(
                region_path=Subquery(household_path[:1])
            )
    return len(found)


def _audit_moves(actor: User, pks: list[int], grid: Region) -> None:
    """One ``household.move`` event per household, as ``audit.record`` writes it (label, new
    region, ``{"grid": [old path, new path]}``), made by the database from the household rows in
    one statement: thousands of model objects cost seconds (docs/traffic-light.md)."""
    # Paths are digits and dots, so they need no escaping inside the JSON text.
    audit.record_each(
        Household.objects.filter(pk__in=pks),
        actor=actor,
        action="household.move",
        object_label=Concat("code", Value(" "), "address", output_field=CharField()),
        region_path=Value(grid.path, output_field=CharField()),
        changes=Concat(
            Value('{"grid": ["'),
            "region_path",
            Value('", "' + grid.path + '"]}'),
            output_field=CharField(),
        ),
    )


@transaction.atomic
def household_override(
    *, actor: User, household: Household, light: str, reason: str, until: date
) -> None:
    """Set the light by hand, with a reason and an expiry; the computed light is kept."""
    require_path(actor, Perm.HOUSEHOLD_CHANGE, household.region_path)
    if light not in Light.values:
        raise DomainError(_("Choose red, yellow or green."))
    if not reason.strip():
        raise DomainError(_("A manual light needs a reason."))
    today = timezone.localdate()
    if until < today or (until - today).days > 366:
        raise DomainError(_("The expiry must lie within the next year."))
    Household.objects.filter(pk=household.pk).update(
        override_light=light,
        override_reason=reason.strip(),
        override_until=until,
        override_by=actor,
    )
    household.refresh_from_db()
    audit.record(
        actor=actor,
        action="household.override",
        obj=household,
        region_path=household.region_path,
        changes={
            "light": [household.computed_light, light],
            "until": until.isoformat(),
            "reason": reason.strip(),
        },
    )
    classify_one(household, actor=actor, cause="override", note=reason.strip())


@transaction.atomic
def household_override_clear(*, actor: User, household: Household) -> None:
    require_path(actor, Perm.HOUSEHOLD_CHANGE, household.region_path)
    Household.objects.filter(pk=household.pk).update(
        override_light="", override_reason="", override_until=None, override_by=None
    )
    household.refresh_from_db()
    audit.record(
        actor=actor,
        action="household.override_clear",
        obj=household,
        region_path=household.region_path,
    )
    classify_one(household, actor=actor, cause="override-end")


@transaction.atomic
def reveal(*, actor: User, resident: Resident, what: str) -> str:
    """The full ID or phone number, for a user allowed to see it; every reveal is audited."""
    # Scoped by the household, which owns the region: a member's own copy of the path follows it.
    return personal.reveal(
        actor=actor,
        holder=resident,
        what=what,
        perm=Perm.PERSONAL_REVEAL,
        path=resident.household.region_path,
        label=resident.name,
    )


@transaction.atomic
def visit_record(
    *,
    actor: User,
    household: Household,
    method: str,
    visited_on: date,
    notes: str = "",
    problems: str = "",
) -> Visit:
    """Record a visit; the next one is scheduled from the light's cadence."""
    require_path(actor, Perm.VISIT_RECORD, household.region_path)
    if method not in VisitMethod.values:
        raise DomainError(_("Choose how the household was visited."))
    today = timezone.localdate()
    if visited_on > today:
        raise DomainError(_("A visit cannot be recorded in the future."))
    if household.status != HouseholdStatus.ACTIVE:
        raise DomainError(_("This household is no longer active."))
    visit = Visit.objects.create(
        household=household,
        region_path=household.region_path,
        worker=actor,
        visited_on=visited_on,
        method=method,
        notes=notes.strip(),
        problems=problems.strip(),
        light_at_visit=household.light,
    )
    from gridlight.households.classify import due_after, intervals

    last = max(visited_on, household.last_visit_on or visited_on)
    Household.objects.filter(pk=household.pk).update(
        last_visit_on=last, next_visit_due=due_after(last, household.light, intervals())
    )
    audit.record(
        actor=actor,
        action="visit.record",
        obj=visit,
        object_label=str(household),
        region_path=household.region_path,
        changes={"method": method},
    )
    return visit
