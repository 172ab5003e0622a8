"""What the enterprise and talent pages share: reading the lists' filters and the forms'
choices of street and commissioner, in the user's scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.forms import BaseForm
from django.http import HttpRequest, QueryDict

from gridlight.core.access import Perm, Viewer
from gridlight.core.errors import DomainError
from gridlight.core.models import Region, User
from gridlight.talent import selectors, services
from gridlight.talent.forms import EnterpriseFilterForm, TalentFilterForm
from gridlight.talent.models import Enterprise, Talent

T = TypeVar("T")


def _pick(options: list[Any], key: str, value: str) -> Any:
    return next((o for o in options if str(getattr(o, key)) == value), None) if value else None


def enterprise_filtered(user: Viewer, params: QueryDict) -> tuple[EnterpriseFilterForm, Any]:
    streets = list(selectors.streets_for(user))
    commissioners = list(selectors.commissioners_for(user))
    form = EnterpriseFilterForm(params or None, streets=streets, commissioners=commissioners)
    form.is_valid()
    d = getattr(form, "cleaned_data", {})
    chosen = _pick(commissioners, "pk", d.get("commissioner", ""))
    f = selectors.EnterpriseFilter(
        q=d.get("q", ""),
        industry=d.get("industry", ""),
        tag=d.get("tag", ""),
        tag_level=d.get("tag_level", ""),
        tag_stage=d.get("tag_stage", ""),
        street=_pick(streets, "code", d.get("street", "")),
        commissioner=chosen.pk if chosen else None,
    )
    qs = selectors.enterprise_list(user, f)
    if form.errors:
        qs = Enterprise.objects.none()
    return form, qs


def talent_filtered(user: Viewer, params: QueryDict) -> tuple[TalentFilterForm, Any]:
    streets = list(selectors.streets_for(user))
    commissioners = list(selectors.commissioners_for(user))
    form = TalentFilterForm(params or None, streets=streets, commissioners=commissioners)
    form.is_valid()
    d = getattr(form, "cleaned_data", {})
    chosen = _pick(commissioners, "pk", d.get("commissioner", ""))
    f = selectors.TalentFilter(
        q=d.get("q", ""),
        level=d.get("level", ""),
        origin=d.get("origin", ""),
        degree=d.get("degree", ""),
        street=_pick(streets, "code", d.get("street", "")),
        employer=d.get("employer"),
        commissioner=chosen.pk if chosen else None,
        overdue=bool(d.get("overdue")),
    )
    qs = selectors.talent_list(user, f)
    if form.errors:
        qs = Talent.objects.none()
    return form, qs


def form_choices(user: Viewer) -> dict[str, Any]:
    """A form's streets (write scope) and commissioners (those who may serve them)."""
    return {
        "streets": list(selectors.streets_for(user, Perm.TALENT_CHANGE)),
        "commissioners": list(selectors.commissioners_for(user)),
    }


def chosen_street(choices: dict[str, Any], code: str) -> Region:
    street: Region | None = _pick(choices["streets"], "code", code)
    assert street is not None  # the form's choices are these streets
    return street


def chosen_commissioner(choices: dict[str, Any], pk: str) -> User | None:
    user: User | None = _pick(choices["commissioners"], "pk", pk or "")
    return user


def show_error(form: BaseForm, exc: DomainError) -> int:
    """A service's refusal shown on the form: a ``FieldError`` under its field when the form
    has that field, anything else above the form. Returns the status to answer with."""
    if isinstance(exc, services.FieldError) and exc.field in form.fields:
        form.add_error(exc.field, exc.reason)
    else:
        form.add_error(None, exc.message)
    return exc.status


def submit_checked(
    request: HttpRequest, form: BaseForm, action: Callable[[dict[str, Any]], T]
) -> tuple[T | None, int]:
    """``core.views.common.submit`` with the services' field errors shown on their fields."""
    if request.method != "POST":
        return None, 200
    if not form.is_valid():
        return None, 400
    try:
        return action(form.cleaned_data), 200
    except DomainError as exc:
        return None, show_error(form, exc)
