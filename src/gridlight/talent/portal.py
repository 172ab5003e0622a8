"""The portal of talents and enterprises (public roles): what they see of their own record, their
commissioner and their problems, and the self-correction of their own contact and family facts.

A talent user corrects its phone, its spouse's employment, its housing and its children; an
enterprise user its address and headcount. Each correction is one version-checked update with
its audit row, in one transaction. The checks are the services' own (``talent/services.py``),
so a value refused on a staff form is refused here with the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import audit, personal
from gridlight.core.access import Viewer
from gridlight.core.crypto import (
    decrypt,
    mask_name,
    mask_phone,
)
from gridlight.core.errors import ConflictError
from gridlight.core.idcard import age_on
from gridlight.core.models import User
from gridlight.talent import services
from gridlight.talent.access import own_enterprise, own_talent
from gridlight.talent.models import (
    Child,
    CommissionerProfile,
    Enterprise,
    Talent,
)
from gridlight.talent.problems import NotYours
from gridlight.talent.subject import changed

audit.register_actions(
    "talent", gettext_lazy("Talent"), {"self_correct": gettext_lazy("corrected by the talent")}
)
audit.register_actions(
    "enterprise",
    gettext_lazy("Enterprise"),
    {"self_correct": gettext_lazy("corrected by the enterprise")},
)


# --- what the portal shows --------------------------------------------------------------------


@dataclass(frozen=True)
class Commissioner:
    name: str
    office_phone: str


def commissioner_of(record: Talent | Enterprise) -> Commissioner | None:
    """The record's commissioner as its talent or enterprise sees it: display name and office
    phone (never the commissioner's own number or account)."""
    if record.commissioner_id is None:
        return None
    user = User.objects.filter(pk=record.commissioner_id).first()
    if user is None:
        return None
    profile = CommissionerProfile.objects.filter(user_id=user.pk).first()
    return Commissioner(str(user), profile.office_phone if profile else "")


@dataclass(frozen=True)
class ShownChild:
    name: str
    birth_date: date
    age: int


@dataclass(frozen=True)
class ShownTalent:
    """A talent's own profile as the portal shows it: numbers masked, facts as recorded."""

    talent: Talent
    id_masked: str
    phone_masked: str
    children: list[ShownChild]


def shown_talent(talent: Talent, today: date | None = None) -> ShownTalent:
    today = today or timezone.localdate()
    numbers = personal.shown(talent, today)
    children = [
        ShownChild(c.name, c.birth_date, age_on(c.birth_date, today))
        for c in talent.children.order_by("birth_date", "pk")
    ]
    return ShownTalent(
        talent=talent,
        id_masked=numbers.id_masked,
        phone_masked=numbers.phone_masked,
        children=children,
    )


def portal_record(user: Viewer) -> Talent | Enterprise | None:
    """The signed-in talent's profile, or the enterprise user's enterprise, or None."""
    return own_talent(user) or own_enterprise(user)


# --- self-correction ------------------------------------------------------------------------


def _children_summary(rows: list[tuple[str, date]]) -> list[str]:
    # Names masked in the trail, as everywhere a name is shown to those who oversee.
    return [f"{mask_name(name) if name else '-'} {born.isoformat()}" for name, born in rows]


def talent_self_correct(
    *,
    actor: User,
    talent: Talent,
    version: int,
    phone: str,
    spouse_employment: str,
    housing: str,
    children: list[services.ChildInput],
) -> Talent:
    """A talent corrects its own phone (blank keeps the recorded one), spouse's employment,
    housing and children (the list replaces the recorded one). Refused for anyone but the
    talent's own user (404), on a stale ``version`` (409), and for whatever the services'
    checks refuse (``services.family_values``: a bad phone, a choice not in the list, a child
    born in the future or before its parent …), as a ``FieldError`` naming the field."""
    if not getattr(actor, "is_authenticated", False) or talent.user_id != actor.pk:
        raise NotYours(_("Not found, or outside your scope."))
    checked = services.family_values(
        phone=phone,
        spouse_employment=spouse_employment,
        housing=housing,
        children=children,
        parent_born=talent.birth_date,
    )
    values: dict[str, Any] = {"spouse_employment": spouse_employment, "housing": housing}
    changes: dict[str, Any] = {}
    if phone.strip() and checked["phone_index"] != talent.phone_index:
        old = decrypt(talent.phone_enc) if talent.phone_enc else ""
        values["phone_enc"], values["phone_index"] = checked["phone_enc"], checked["phone_index"]
        changes["phone"] = [mask_phone(old) if old else None, mask_phone(phone)]
    with transaction.atomic():
        before = {
            "spouse_employment": talent.spouse_employment,
            "housing": talent.housing,
        }
        updated = Talent.objects.filter(pk=talent.pk, version=version).update(
            version=version + 1, updated_at=timezone.now(), **values
        )
        if not updated:
            raise ConflictError(_("Your profile was changed meanwhile. Reload it and try again."))
        old_children = list(
            talent.children.order_by("birth_date", "pk").values_list("name", "birth_date")
        )
        new_children = sorted(
            ((c.name.strip(), c.birth_date) for c in children if c.birth_date is not None),
            key=lambda c: (c[1], c[0]),
        )
        if sorted(old_children, key=lambda c: (c[1], c[0])) != new_children:
            talent.children.all().delete()
            Child.objects.bulk_create(
                Child(talent=talent, name=name, birth_date=born) for name, born in new_children
            )
            changes["children"] = [_children_summary(old_children), _children_summary(new_children)]
        changes.update(
            audit.diff(before, {"spouse_employment": spouse_employment, "housing": housing})
        )
        audit.record(
            actor=actor,
            action="talent.self_correct",
            obj=talent,
            region_path=talent.region_path,
            changes=changes,
        )
        changed("talent", [talent.pk])
    return Talent.objects.get(pk=talent.pk)


def enterprise_self_correct(
    *,
    actor: User,
    enterprise: Enterprise,
    version: int,
    address: str,
    headcount: int | None,
) -> Enterprise:
    """An enterprise user corrects its enterprise's address and headcount (None: not known),
    checked by the services (``services.enterprise_contact_values``). Refused for anyone but
    the enterprise's own users (404) and on a stale ``version`` (409)."""
    own = own_enterprise(actor) if getattr(actor, "is_authenticated", False) else None
    if own is None or own.pk != enterprise.pk:
        raise NotYours(_("Not found, or outside your scope."))
    values = services.enterprise_contact_values(address=address, headcount=headcount)
    with transaction.atomic():
        updated = Enterprise.objects.filter(pk=enterprise.pk, version=version).update(
            version=version + 1, updated_at=timezone.now(), **values
        )
        if not updated:
            raise ConflictError(
                _("Your enterprise's record was changed meanwhile. Reload it and try again.")
            )
        audit.record(
            actor=actor,
            action="enterprise.self_correct",
            obj=enterprise,
            region_path=enterprise.region_path,
            changes=audit.diff(
                {"address": enterprise.address, "headcount": enterprise.headcount}, values
            ),
        )
        changed("enterprise", [enterprise.pk])
    return Enterprise.objects.get(pk=enterprise.pk)


def my_problems(user: Viewer) -> Any:
    """The signed-in talent's or enterprise's problems, newest first, with their tickets."""
    from gridlight.talent.problems import problems_visible

    return (
        problems_visible(user)
        .select_related("ticket", "ticket__unit")
        .order_by("-created_at", "-id")
    )
