"""Services for the traffic light's configuration: the attribute catalogue and the packages."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import User
from gridlight.households.classify import require_rules_scope
from gridlight.households.models import Attribute, AttributeScope, ServicePackage

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@transaction.atomic
def attribute_save(
    *, actor: User, code: str, name: str, name_en: str, applies_to: str, graded: bool, active: bool
) -> Attribute:
    """Add an attribute to the catalogue, or rename / (de)activate an existing one. A code is
    never changed or removed: rules and records name it."""
    require_rules_scope(actor)
    code = code.strip()
    if not CODE.match(code):
        raise DomainError(
            _("The code is 2–40 lowercase letters, digits or _, starting with a letter.")
        )
    if applies_to not in AttributeScope.values:
        raise DomainError(_("Choose resident or household."))
    attribute = Attribute.objects.filter(code=code).first()
    before = {} if attribute is None else {"name": attribute.name, "active": attribute.active}
    if attribute is None:
        attribute = Attribute.objects.create(
            code=code,
            name=name.strip(),
            name_en=name_en.strip(),
            applies_to=applies_to,
            graded=graded,
            active=active,
            sort_order=1000,
        )
    else:
        if attribute.applies_to != applies_to or attribute.graded != graded:
            raise DomainError(
                _(
                    "Whether it is a resident or household attribute, and whether it "
                    "is graded, cannot change once it exists."
                )
            )
        attribute.name, attribute.name_en, attribute.active = name.strip(), name_en.strip(), active
        attribute.save(update_fields=["name", "name_en", "active"])
    audit.record(
        actor=actor,
        action="attribute.save",
        obj=attribute,
        changes=audit.diff(before, {"name": attribute.name, "active": attribute.active}),
    )
    return attribute


@transaction.atomic
def package_update(
    *, actor: User, package: ServicePackage, version: int, visit_interval_days: int, items: str
) -> ServicePackage:
    require_rules_scope(actor)
    if not 1 <= visit_interval_days <= 366:
        raise DomainError(_("The visit interval is 1 to 366 days."))
    item_list = [i.strip() for i in items.splitlines() if i.strip()]
    before = {"days": package.visit_interval_days, "items": package.items}
    updated = ServicePackage.objects.filter(pk=package.pk, version=version).update(
        visit_interval_days=visit_interval_days, items=item_list, version=F("version") + 1
    )
    if not updated:
        raise ConflictError(_("This package was changed by someone else. Reload and retry."))
    package.refresh_from_db()
    audit.record(
        actor=actor,
        action="package.update",
        obj=package,
        changes=audit.diff(before, {"days": visit_interval_days, "items": item_list}),
    )
    return package
