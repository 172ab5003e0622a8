"""Services for the ticket catalogue's configuration: SLA policies, categories and the handlers
of a unit. Each write and its audit row are one transaction; edits are version-checked, so a
save on top of someone else's is refused (409), never silently applied."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.access import Perm, require, scope_for
from gridlight.core.errors import ConflictError, DomainError
from gridlight.core.models import User
from gridlight.tickets.models import Category, SlaPolicy, Unit

POLICY_FIELDS = (
    "name",
    "response_days",
    "handle_days",
    "max_extension_days",
    "return_days",
    "yellow_days",
    "supervise_days",
    "verify_on_site",
)
CATEGORY_FIELDS = ("name", "name_en", "policy", "default_unit", "to_street", "public", "active")
# Working days a policy may name: a deadline beyond a quarter of a year is a typing mistake.
MAX_DAYS = 60


def _policy_problem(fields: dict[str, Any]) -> str | None:
    """Why the policy's day counts cannot be saved, or None."""
    for name in POLICY_FIELDS:
        if name.endswith("_days") and not 0 <= int(fields[name]) <= MAX_DAYS:
            label = getattr(SlaPolicy._meta.get_field(name), "verbose_name", name)
            return _("%(f)s must be 0 to %(n)s working days.") % {"f": label, "n": MAX_DAYS}
    if fields["handle_days"] < 1:
        return _("A ticket needs at least one working day to be handled.")
    if fields["yellow_days"] > fields["handle_days"]:
        return _("The yellow card must start before the deadline.")
    return None


@transaction.atomic
def policy_update(*, actor: User, policy: SlaPolicy, version: int, **fields: Any) -> SlaPolicy:
    """Change an SLA policy. New dispatches use it; running deadlines stay as they were set."""
    require(actor, Perm.TICKET_ADMIN)
    fields = {k: fields[k] for k in POLICY_FIELDS}
    if (problem := _policy_problem(fields)) is not None:
        raise DomainError(problem)
    before = SlaPolicy.objects.filter(pk=policy.pk).values(*POLICY_FIELDS).first() or {}
    updated = SlaPolicy.objects.filter(pk=policy.pk, version=version).update(
        version=F("version") + 1, **fields
    )
    if not updated:
        raise ConflictError(_("Someone else changed this policy meanwhile. Reload it."))
    policy.refresh_from_db()
    audit.record(
        actor=actor,
        action="ticket_policy.update",
        obj=policy,
        changes=audit.diff({k: before.get(k) for k in fields}, fields),
    )
    return policy


def _category_values(category: Category) -> dict[str, Any]:
    return {
        f: getattr(category, getattr(Category._meta.get_field(f), "attname", f))
        for f in CATEGORY_FIELDS
    }


@transaction.atomic
def category_update(*, actor: User, category: Category, version: int, **fields: Any) -> Category:
    """Change a category's names, policy, default unit and flags."""
    require(actor, Perm.TICKET_ADMIN)
    before = _category_values(Category.objects.get(pk=category.pk))
    updated = Category.objects.filter(pk=category.pk, version=version).update(
        version=F("version") + 1, **{f: fields[f] for f in CATEGORY_FIELDS}
    )
    if not updated:
        raise ConflictError(_("Someone else changed this category meanwhile. Reload it."))
    category.refresh_from_db()
    audit.record(
        actor=actor,
        action="ticket_category.update",
        obj=category,
        changes=audit.diff(before, _category_values(category)),
    )
    return category


@transaction.atomic
def unit_member_add(*, actor: User, unit: Unit, username: str) -> User:
    """Make a user a handler of ``unit``. The user must handle tickets, and only inside the
    administrator's own scope: a unit's notices and worklist reach its members, so a member
    from another district would read tickets that are not theirs."""
    admin_scope = require(actor, Perm.TICKET_ADMIN)
    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        raise DomainError(_("No user with this name."))
    handles = scope_for(user, Perm.TICKET_HANDLE)
    if handles.empty:
        raise DomainError(_("This user holds no role that handles tickets."))
    if not all(admin_scope.contains(path) for path in handles.paths):
        raise DomainError(_("This user handles tickets outside your district."))
    unit.members.add(user)
    audit.record(
        actor=actor,
        action="ticket_unit.member_add",
        obj=unit,
        changes={"member": [None, user.get_username()]},
    )
    return user


@transaction.atomic
def unit_member_remove(*, actor: User, unit: Unit, member_id: int) -> bool:
    """Remove a handler from ``unit``; False if they were not one."""
    require(actor, Perm.TICKET_ADMIN)
    user = unit.members.filter(pk=member_id).first()
    if user is None:
        return False
    unit.members.remove(user)
    audit.record(
        actor=actor,
        action="ticket_unit.member_remove",
        obj=unit,
        changes={"member": [user.get_username(), None]},
    )
    return True
