"""Writes for enterprise and talent profiles. Each checks the actor's write scope, validates at
this one boundary (pages, the API and the roster import call the same functions), saves, and
writes its audit row in the same transaction; updates are version-checked so that two people
editing one record cannot silently overwrite each other.

Commissioner assignment, handover, the service log and talent problems are written elsewhere
(the commissioners' and the portal's services); a commissioner may be named when a record is
created, checked by :func:`commissioner_problem`.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import audit, personal
from gridlight.core.access import Perm, require_path
from gridlight.core.crypto import InvalidPhone, decrypt
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.idcard import InvalidIdNumber
from gridlight.core.industries import Industry
from gridlight.core.models import Assignment, Region, RegionLevel, Role, User
from gridlight.talent.access import enterprises_visible
from gridlight.talent.creditcode import InvalidCreditCode
from gridlight.talent.creditcode import validate as validate_credit_code
from gridlight.talent.models import (
    Child,
    CommissionerProfile,
    Degree,
    Enterprise,
    EnterpriseTag,
    Housing,
    ListingStage,
    PlatformKind,
    PlatformLevel,
    RdPlatform,
    SpouseEmployment,
    TagKind,
    TagLevel,
    Talent,
    TalentLevel,
    TalentOrigin,
)
from gridlight.talent.subject import changed

EARLIEST_YEAR = 1949


class FieldError(DomainError):
    """A value refused at the service boundary; ``field`` names the input it belongs to (a
    form shows it there, the API and the import name it in the message)."""

    def __init__(self, field: str, label: Any, message: str) -> None:
        super().__init__(f"{label}: {message}")
        self.field = field
        self.reason = message


@dataclass
class TagInput:
    kind: str
    year: int | None
    level: str = ""
    stage: str = ""
    on: date | None = None


@dataclass
class PlatformInput:
    name: str
    kind: str
    level: str
    year: int | None


@dataclass
class EnterpriseInput:
    name: str
    credit_code: str
    industry: str
    street: Region
    address: str = ""
    headcount: int | None = None
    revenue_yuan: int | None = None
    revenue_year: int | None = None
    tags: list[TagInput] = dataclasses.field(default_factory=list)
    platforms: list[PlatformInput] = dataclasses.field(default_factory=list)
    commissioner: User | None = None  # at creation only


@dataclass
class ChildInput:
    birth_date: date | None
    name: str = ""


@dataclass
class TalentInput:
    name: str
    street: Region
    level: str
    id_number: str = ""
    phone: str = ""
    origin: str = ""
    degree: str = ""
    field: str = ""
    employer: Enterprise | None = None
    employer_name: str = ""
    arrived_on: date | None = None
    spouse_employment: str = ""
    housing: str = ""
    children: list[ChildInput] = dataclasses.field(default_factory=list)
    commissioner: User | None = None  # at creation only


def _label(model: type[Any], name: str) -> Any:
    return model._meta.get_field(name).verbose_name


@functools.cache
def _values(choices: Any) -> frozenset[str]:
    return frozenset(choices.values)


def _choice(model: type[Any], name: str, value: str, choices: Any, *, blank: bool) -> str:
    if (blank and value == "") or value in _values(choices):
        return value
    raise FieldError(name, _label(model, name), _("choose one of the list."))


def _year(
    model: type[Any], name: str, year: int | None, where: str = "", field: str = ""
) -> int | None:
    if year is None:
        return None
    this_year = timezone.localdate().year
    if not EARLIEST_YEAR <= year <= this_year:
        message = _("%(year)s is not a year from %(first)s to %(last)s.") % {
            "year": year,
            "first": EARLIEST_YEAR,
            "last": this_year,
        }
        raise FieldError(field or name, f"{where}{_label(model, name)}", message)
    return year


def _not_future(
    model: type[Any],
    name: str,
    day: date | None,
    where: str = "",
    field: str = "",
    *,
    today: date | None = None,
) -> None:
    if day is not None and day > (today or timezone.localdate()):
        raise FieldError(field or name, f"{where}{_label(model, name)}", _("is in the future."))


def _street(actor: User, street: Region) -> Region:
    if street.level != RegionLevel.STREET:
        raise FieldError("street", _("Street"), _("choose a street or town."))
    require_path(actor, Perm.TALENT_CHANGE, street.path)
    return street


def commissioner_problem(user: User, path: str) -> str | None:
    """Why ``user`` cannot serve a record at ``path``, or None: it must be an active talent
    commissioner (taking cases) whose assignment covers that street."""
    covering = Assignment.objects.filter(
        user=user, role=Role.TALENT_COMMISSIONER, active=True
    ).values_list("region_path", flat=True)
    if not user.is_active or not any(path == p or path.startswith(p + ".") for p in covering):
        return _("not a talent commissioner serving this street.")
    if CommissionerProfile.objects.filter(user=user, active=False).exists():
        return _("this commissioner no longer takes cases.")
    return None


def _commissioner(user: User | None, path: str) -> User | None:
    if user is None:
        return None
    problem = commissioner_problem(user, path)
    if problem:
        raise FieldError("commissioner", _("Commissioner"), problem)
    return user


def _locked(model: type[Any], obj: Any, version: int, what: str) -> None:
    updated = model.objects.filter(pk=obj.pk, version=version).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ConflictError(
            _("This %(what)s was changed by someone else after you opened it. Reload and retry.")
            % {"what": what}
        )
    obj.version = version + 1


# --- enterprises -------------------------------------------------------------------------------


def _enterprise_fields(data: EnterpriseInput, *, exclude_pk: int = 0) -> dict[str, Any]:
    values = enterprise_values(data)
    if Enterprise.objects.filter(credit_code=values["credit_code"]).exclude(pk=exclude_pk).exists():
        raise FieldError(
            "credit_code",
            _label(Enterprise, "credit_code"),
            _("an enterprise with this code is already registered."),
        )
    return values


def enterprise_values(data: EnterpriseInput) -> dict[str, Any]:
    """An enterprise's own facts checked without a query (name, credit code with its check
    character, industry, address, headcount, revenue): every registration's and change's
    checks, and a roster's row by row (``imports``), which checks the codes against the
    register for the whole file at once. The tags are checked by ``check_tags``."""
    name = data.name.strip()
    if not name:
        raise FieldError("name", _label(Enterprise, "name"), _("is required."))
    if len(name) > Enterprise._meta.get_field("name").max_length:  # type: ignore[operator]
        raise FieldError("name", _label(Enterprise, "name"), _("is too long."))
    try:
        code = validate_credit_code(data.credit_code)
    except InvalidCreditCode as exc:
        raise FieldError("credit_code", _label(Enterprise, "credit_code"), exc.message) from exc
    if data.revenue_yuan is not None and data.revenue_yuan < 0:
        raise FieldError(
            "revenue_yuan", _label(Enterprise, "revenue_yuan"), _("cannot be negative.")
        )
    return {
        "name": name,
        "credit_code": code,
        "industry": _choice(Enterprise, "industry", data.industry, Industry, blank=False),
        **enterprise_contact_values(address=data.address, headcount=data.headcount),
        "revenue_yuan": data.revenue_yuan,
        "revenue_year": _year(Enterprise, "revenue_year", data.revenue_year),
    }


MAX_HEADCOUNT = 10_000_000


def enterprise_contact_values(*, address: str, headcount: int | None) -> dict[str, Any]:
    """An enterprise's address and headcount checked: the part an enterprise user corrects
    itself (the portal) as well as part of every registration and change."""
    address = address.strip()
    if len(address) > Enterprise._meta.get_field("address").max_length:  # type: ignore[operator]
        raise FieldError("address", _label(Enterprise, "address"), _("is too long."))
    if headcount is not None and headcount < 0:
        raise FieldError("headcount", _label(Enterprise, "headcount"), _("cannot be negative."))
    if headcount is not None and headcount > MAX_HEADCOUNT:
        message = _("is more than %(n)s.") % {"n": f"{MAX_HEADCOUNT:,}"}
        raise FieldError("headcount", _label(Enterprise, "headcount"), message)
    return {"address": address, "headcount": headcount}


def check_tags(tags: list[TagInput]) -> None:
    """An enterprise's tags checked (no query): known kinds, each once, with its level or
    stage where it needs one and a year."""
    seen: set[str] = set()
    for tag in tags:
        kind = _choice(EnterpriseTag, "kind", tag.kind, TagKind, blank=False)
        where = f"{TagKind(kind).label} "
        if kind in seen:
            raise FieldError("tags", where, _("is given twice."))
        seen.add(kind)
        _choice(EnterpriseTag, "level", tag.level, TagLevel, blank=True)
        _choice(EnterpriseTag, "stage", tag.stage, ListingStage, blank=True)
        if (kind == TagKind.SRDI) != bool(tag.level):
            message = _("is required.") if kind == TagKind.SRDI else _("only for 专精特新.")
            raise FieldError("tags", f"{where}{_label(EnterpriseTag, 'level')}", message)
        if (kind == TagKind.LISTING_RESERVE) != bool(tag.stage):
            message = (
                _("is required.")
                if kind == TagKind.LISTING_RESERVE
                else _("only for a listing reserve.")
            )
            raise FieldError("tags", f"{where}{_label(EnterpriseTag, 'stage')}", message)
        if tag.year is None:
            raise FieldError("tags", f"{where}{_label(EnterpriseTag, 'year')}", _("is required."))
        _year(EnterpriseTag, "year", tag.year, where, "tags")
        _not_future(EnterpriseTag, "on", tag.on, where, "tags")


MAX_PLATFORMS = 30


def _check_platforms(platforms: list[PlatformInput]) -> None:
    if len(platforms) > MAX_PLATFORMS:
        message = _("at most %(n)s R&D platforms.") % {"n": MAX_PLATFORMS}
        raise FieldError("platforms", _("R&D platforms"), message)
    for p in platforms:
        if not p.name.strip():
            raise FieldError("platforms", _label(RdPlatform, "name"), _("is required."))
        where = f"{p.name.strip()} "
        _choice(RdPlatform, "kind", p.kind, PlatformKind, blank=False)
        _choice(RdPlatform, "level", p.level, PlatformLevel, blank=False)
        if p.year is None:
            raise FieldError("platforms", f"{where}{_label(RdPlatform, 'year')}", _("is required."))
        _year(RdPlatform, "year", p.year, where, "platforms")


def tag_summary(kind: str, level: str, stage: str, year: int | None) -> str:
    """One tag as an enterprise's audit rows record it."""
    return f"{kind}:{level}{stage}:{year}"


def _tags_summary(enterprise: Enterprise) -> list[str]:
    return sorted(
        tag_summary(*t)
        for t in EnterpriseTag.objects.filter(enterprise=enterprise).values_list(
            "kind", "level", "stage", "year"
        )
    )


def _platforms_summary(enterprise: Enterprise) -> list[str]:
    return sorted(
        f"{name}:{kind}:{level}:{year}"
        for name, kind, level, year in RdPlatform.objects.filter(enterprise=enterprise).values_list(
            "name", "kind", "level", "year"
        )
    )


def _set_tags_and_platforms(enterprise: Enterprise, data: EnterpriseInput) -> None:
    EnterpriseTag.objects.filter(enterprise=enterprise).delete()
    EnterpriseTag.objects.bulk_create(
        EnterpriseTag(
            enterprise=enterprise,
            kind=t.kind,
            level=t.level,
            stage=t.stage,
            year=t.year or 0,
            on=t.on,
        )
        for t in data.tags
    )
    RdPlatform.objects.filter(enterprise=enterprise).delete()
    RdPlatform.objects.bulk_create(
        RdPlatform(
            enterprise=enterprise, name=p.name.strip(), kind=p.kind, level=p.level, year=p.year or 0
        )
        for p in data.platforms
    )


@transaction.atomic
def enterprise_create(*, actor: User, data: EnterpriseInput) -> Enterprise:
    """Register an enterprise with its tags and R&D platforms in the actor's write scope."""
    street = _street(actor, data.street)
    values = _enterprise_fields(data)
    check_tags(data.tags)
    _check_platforms(data.platforms)
    commissioner = _commissioner(data.commissioner, street.path)
    try:
        with transaction.atomic():
            enterprise = Enterprise.objects.create(
                street=street, region_path=street.path, commissioner=commissioner, **values
            )
    except IntegrityError as exc:  # the same code registered at the same moment
        raise FieldError(
            "credit_code",
            _label(Enterprise, "credit_code"),
            _("an enterprise with this code is already registered."),
        ) from exc
    _set_tags_and_platforms(enterprise, data)
    audit.record(
        actor=actor,
        action="enterprise.create",
        obj=enterprise,
        region_path=street.path,
        changes=audit.diff(
            {},
            {
                **values,
                "street": street.path,
                "tags": _tags_summary(enterprise),
                "platforms": _platforms_summary(enterprise),
                "commissioner": str(commissioner) if commissioner else None,
            },
        ),
    )
    changed("enterprise", [enterprise.pk])
    return enterprise


@transaction.atomic
def enterprise_update(
    *, actor: User, enterprise: Enterprise, version: int, data: EnterpriseInput
) -> Enterprise:
    """Change an enterprise's facts, tags and platforms (its commissioner is changed by
    assignment, not here). Moving it to another street needs write scope over both."""
    require_path(actor, Perm.TALENT_CHANGE, enterprise.region_path)
    street = _street(actor, data.street)
    values = _enterprise_fields(data, exclude_pk=enterprise.pk)
    check_tags(data.tags)
    _check_platforms(data.platforms)
    before: dict[str, Any] = {k: getattr(enterprise, k) for k in values}
    before.update(
        street=enterprise.region_path,
        tags=_tags_summary(enterprise),
        platforms=_platforms_summary(enterprise),
    )
    _locked(Enterprise, enterprise, version, str(_("enterprise")))
    Enterprise.objects.filter(pk=enterprise.pk).update(
        street=street, region_path=street.path, **values
    )
    if street.path != enterprise.region_path:
        # Its log and problems follow it, so the new street's staff see them.
        enterprise.service_logs.update(region_path=street.path)
        enterprise.problems.update(region_path=street.path)
    enterprise.refresh_from_db()
    _set_tags_and_platforms(enterprise, data)
    after = {k: getattr(enterprise, k) for k in values}
    after.update(
        street=street.path,
        tags=_tags_summary(enterprise),
        platforms=_platforms_summary(enterprise),
    )
    audit.record(
        actor=actor,
        action="enterprise.update",
        obj=enterprise,
        region_path=street.path,
        changes=audit.diff(before, after),
    )
    changed("enterprise", [enterprise.pk])
    return enterprise


def employer_code(code: str) -> str:
    """A talent's employer's credit code in canonical form; a malformed code is refused."""
    try:
        return validate_credit_code(code)
    except InvalidCreditCode as exc:
        raise FieldError("employer", _label(Talent, "employer"), exc.message) from exc


def unknown_employer() -> FieldError:
    return FieldError(
        "employer", _label(Talent, "employer"), _("no enterprise with this credit code.")
    )


def duplicate_id_number() -> FieldError:
    return FieldError(
        "id_number", _("ID card number"), _("a talent with this number is registered.")
    )


def employer_by_code(actor: User, code: str) -> Enterprise | None:
    """The enterprise (visible to ``actor``) with this credit code, None for a blank code;
    how the pages, the API and the import name a talent's employer."""
    if not code.strip():
        return None
    employer = enterprises_visible(actor).filter(credit_code=employer_code(code)).first()
    if employer is None:
        raise unknown_employer()
    return employer


# --- talents -----------------------------------------------------------------------------------


def talent_values(
    data: TalentInput, *, parent_born: date | None = None, today: date | None = None
) -> dict[str, Any]:
    """A talent's own facts checked and in stored form (numbers encrypted and blind-indexed),
    children included: every check that needs no database. The form, the API and the roster
    import (row by row, before its checks against the register, which it makes for the whole
    file at once) run these same checks; the portal runs :func:`family_values`, their part a
    talent corrects itself. The employer is checked apart (it is looked up). ``today``
    (default: today in the district) may be given once by a caller checking many."""
    today = today or timezone.localdate()
    name = data.name.strip()
    if not name:
        raise FieldError("name", _("Name"), _("is required."))
    try:
        numbers = personal.stored_numbers(id_number=data.id_number, phone="", today=today)
    except InvalidIdNumber as exc:
        raise FieldError("id_number", _("ID card number"), exc.message) from exc
    family = family_values(
        phone=data.phone,
        spouse_employment=data.spouse_employment,
        housing=data.housing,
        children=data.children,
        parent_born=numbers.get("birth_date") or parent_born,
        today=today,
    )
    _not_future(Talent, "arrived_on", data.arrived_on, today=today)
    return {
        "name": name,
        **numbers,
        **family,
        "level": _choice(Talent, "level", data.level, TalentLevel, blank=False),
        "origin": _choice(Talent, "origin", data.origin, TalentOrigin, blank=True),
        "degree": _choice(Talent, "degree", data.degree, Degree, blank=True),
        "field": data.field.strip(),
        "employer_name": "" if data.employer is not None else data.employer_name.strip(),
        "arrived_on": data.arrived_on,
    }


def family_values(
    *,
    phone: str,
    spouse_employment: str,
    housing: str,
    children: list[ChildInput],
    parent_born: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The contact and family facts of a talent, checked (the phone, the choices, the
    children: :func:`check_children`) and in stored form (``phone_enc``, ``phone_index``,
    ``spouse_employment``, ``housing``; a blank phone stores blank)."""
    try:
        numbers = personal.stored_numbers(id_number="", phone=phone)
    except InvalidPhone as exc:
        raise FieldError("phone", _("Phone"), exc.message) from exc
    values = {
        "phone_enc": numbers["phone_enc"],
        "phone_index": numbers["phone_index"],
        "spouse_employment": _choice(
            Talent, "spouse_employment", spouse_employment, SpouseEmployment, blank=True
        ),
        "housing": _choice(Talent, "housing", housing, Housing, blank=True),
    }
    check_children(children, parent_born=parent_born, today=today)
    return values


def _talent_fields(actor: User, data: TalentInput, *, exclude_pk: int = 0) -> dict[str, Any]:
    values = talent_values(data)
    index = values["id_number_index"]
    if index is not None and (
        Talent.objects.filter(id_number_index=index).exclude(pk=exclude_pk).exists()
    ):
        raise duplicate_id_number()
    employer = data.employer
    if employer is not None and not enterprises_visible(actor).filter(pk=employer.pk).exists():
        raise FieldError("employer", _label(Talent, "employer"), _("no such enterprise."))
    return {**values, "employer": employer}


MAX_CHILDREN = 10


def check_children(
    children: list[ChildInput], *, parent_born: date | None = None, today: date | None = None
) -> None:
    """A talent's children: each with a birth date, not in the future, not before 1949 nor
    before the parent's own; a name of at most 60 characters; at most ten."""
    if len(children) > MAX_CHILDREN:
        message = _("at most %(n)s children.") % {"n": MAX_CHILDREN}
        raise FieldError("children", _("Children"), message)
    for n, child in enumerate(children, start=1):
        where = f"{_('Child')} {child.name.strip() or n} "
        if len(child.name.strip()) > 60:
            label = f"{where}{_label(Child, 'name')}"
            raise FieldError("children", label, _("is at most 60 characters."))
        if child.birth_date is None:
            raise FieldError("children", f"{where}{_label(Child, 'birth_date')}", _("is required."))
        _not_future(Child, "birth_date", child.birth_date, where, "children", today=today)
        label = f"{where}{_label(Child, 'birth_date')}"
        if parent_born is not None and child.birth_date <= parent_born:
            raise FieldError("children", label, _("is not after the parent's birth date."))
        if child.birth_date.year < EARLIEST_YEAR:
            raise FieldError("children", label, _("is too long ago."))


def _children_summary(talent: Talent) -> list[str]:
    return [
        f"{name or '-'}:{born.isoformat()}"
        for name, born in Child.objects.filter(talent=talent).values_list("name", "birth_date")
    ]


def _set_children(talent: Talent, children: list[ChildInput]) -> None:
    Child.objects.filter(talent=talent).delete()
    Child.objects.bulk_create(
        Child(talent=talent, name=c.name.strip(), birth_date=c.birth_date)
        for c in children
        if c.birth_date is not None
    )


# What the audit row records of a talent: never the numbers themselves (encrypted at rest, they
# must not sit in clear in the trail), only that they changed.
TALENT_AUDITED = (
    "name",
    "level",
    "origin",
    "degree",
    "field",
    "employer_id",
    "employer_name",
    "arrived_on",
    "spouse_employment",
    "housing",
)


def _talent_snapshot(talent: Talent) -> dict[str, Any]:
    snap = {k: getattr(talent, k) for k in TALENT_AUDITED}
    snap.update(
        street=talent.region_path,
        id_number=talent.id_number_index or "",
        phone=talent.phone_index,
        children=_children_summary(talent),
    )
    return snap


def masked_numbers(changes: dict[str, Any], changed: str = "") -> dict[str, Any]:
    """``changes`` with the numbers' values replaced by "changed" (``changed``: that word,
    translated once by a caller masking many)."""
    for key in ("id_number", "phone"):
        if key in changes:
            changes[key] = ["…", changed or _("changed")]
    return changes


@transaction.atomic
def talent_create(*, actor: User, data: TalentInput) -> Talent:
    """Register a talent with its children in the actor's write scope."""
    street = _street(actor, data.street)
    values = _talent_fields(actor, data)
    commissioner = _commissioner(data.commissioner, street.path)
    try:
        with transaction.atomic():
            talent = Talent.objects.create(
                street=street, region_path=street.path, commissioner=commissioner, **values
            )
    except IntegrityError as exc:  # the same number registered at the same moment
        raise duplicate_id_number() from exc
    _set_children(talent, data.children)
    changes = masked_numbers(audit.diff({}, _talent_snapshot(talent)))
    if commissioner is not None:
        changes["commissioner"] = [None, str(commissioner)]
    audit.record(
        actor=actor, action="talent.create", obj=talent, region_path=street.path, changes=changes
    )
    changed("talent", [talent.pk])
    return talent


@transaction.atomic
def talent_update(*, actor: User, talent: Talent, version: int, data: TalentInput) -> Talent:
    """Change a talent's facts and children (the commissioner changes by assignment, not
    here). Left blank, the ID and phone numbers are kept (forms never show them in full)."""
    require_path(actor, Perm.TALENT_CHANGE, talent.region_path)
    street = _street(actor, data.street)
    if not data.id_number.strip() and talent.id_number_enc:
        data.id_number = decrypt(talent.id_number_enc)
    if not data.phone.strip() and talent.phone_enc:
        data.phone = decrypt(talent.phone_enc)
    values = _talent_fields(actor, data, exclude_pk=talent.pk)
    before = _talent_snapshot(talent)
    _locked(Talent, talent, version, str(_("talent")))
    Talent.objects.filter(pk=talent.pk).update(street=street, region_path=street.path, **values)
    if street.path != talent.region_path:
        talent.service_logs.update(region_path=street.path)
        talent.problems.update(region_path=street.path)
    talent.refresh_from_db()
    _set_children(talent, data.children)
    audit.record(
        actor=actor,
        action="talent.update",
        obj=talent,
        region_path=street.path,
        changes=masked_numbers(audit.diff(before, _talent_snapshot(talent))),
    )
    changed("talent", [talent.pk])
    return talent


def talent_reveal(*, actor: User, talent: Talent, what: str) -> str:
    """A talent's full ID or phone number, for a user with ``talent.reveal`` over its street;
    audited, as residents' are."""
    return personal.reveal(
        actor=actor,
        holder=talent,
        what=what,
        perm=Perm.TALENT_REVEAL,
        path=talent.region_path,
        label=talent.name,
    )
