"""Talent pages: the list with search and filters, a talent's page (masked numbers with age,
an audited reveal, children with their school stage, the service timeline) and the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core.access import Perm, SignedInRequest, access, scope_for
from gridlight.core.views.common import paginate, query_without_page, submit
from gridlight.talent import selectors, services
from gridlight.talent.access import get_talent
from gridlight.talent.forms import ChildFormSet, TalentForm
from gridlight.talent.models import Talent
from gridlight.talent.views.common import (
    chosen_commissioner,
    chosen_street,
    form_choices,
    talent_filtered,
)


@access(Perm.TALENT_VIEW)
def talent_list(request: SignedInRequest) -> HttpResponse:
    form, qs = talent_filtered(request.user, request.GET)
    return render(
        request,
        "talent/talent_list.html",
        {
            "form": form,
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "today": timezone.localdate(),
            "can_change": not scope_for(request.user, Perm.TALENT_CHANGE).empty,
        },
    )


@access(Perm.TALENT_VIEW)
def talent_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    t = get_talent(request.user, pk)
    today = timezone.localdate()
    user = request.user
    return render(
        request,
        "talent/talent_detail.html",
        {
            "t": t,
            "shown": selectors.shown_talent(t, today),
            "children": selectors.children_of(t, today),
            "service_logs": selectors.talent_timeline(t),
            "overdue": t.next_contact_due is not None and t.next_contact_due < today,
            "can_change": scope_for(user, Perm.TALENT_CHANGE).contains(t.region_path),
            "can_reveal": scope_for(user, Perm.TALENT_REVEAL).contains(t.region_path),
        },
    )


@require_POST
@access(Perm.TALENT_REVEAL)
def talent_reveal(request: SignedInRequest, pk: int, what: str) -> HttpResponse:
    t = get_talent(request.user, pk)
    value = services.talent_reveal(actor=request.user, talent=t, what=what)
    return HttpResponse(format_html('<code class="gl-revealed">{}</code>', value))


def _children(formset: Any) -> list[services.ChildInput]:
    return [
        services.ChildInput(name=f.cleaned_data["name"], birth_date=f.cleaned_data["birth_date"])
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def _input(
    request: SignedInRequest, d: dict[str, Any], formset: Any, choices: dict[str, Any]
) -> services.TalentInput:
    return services.TalentInput(
        name=d["name"],
        id_number=d["id_number"],
        phone=d["phone"],
        street=chosen_street(choices, d["street"]),
        level=d["level"],
        origin=d["origin"],
        degree=d["degree"],
        field=d["field"],
        employer=services.employer_by_code(request.user, d["employer_code"]),
        employer_name=d["employer_name"],
        arrived_on=d["arrived_on"],
        spouse_employment=d["spouse_employment"],
        housing=d["housing"],
        children=_children(formset),
        commissioner=chosen_commissioner(choices, d.get("commissioner", "")),
    )


def _initial(t: Talent) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    initial = {
        "name": t.name,
        "street": t.street.code,
        "level": t.level,
        "origin": t.origin,
        "degree": t.degree,
        "field": t.field,
        "employer_code": t.employer.credit_code if t.employer else "",
        "employer_name": t.employer_name,
        "arrived_on": t.arrived_on,
        "spouse_employment": t.spouse_employment,
        "housing": t.housing,
        "version": t.version,
    }
    children = [{"name": c.name, "birth_date": c.birth_date} for c in t.children.all()]
    return initial, children


def _form(request: SignedInRequest, t: Talent | None) -> HttpResponse:
    choices = form_choices(request.user)
    initial, child_initial = _initial(t) if t is not None else ({}, [])
    form = TalentForm(request.POST or None, initial=initial, editing=t is not None, **choices)
    formset = ChildFormSet(request.POST or None, initial=child_initial, prefix="c")

    def save(d: dict[str, Any]) -> Talent | None:
        if not formset.is_valid():
            return None
        data = _input(request, d, formset, choices)
        if t is None:
            return services.talent_create(actor=request.user, data=data)
        return services.talent_update(
            actor=request.user, talent=t, version=d["version"] or 0, data=data
        )

    saved, status = submit(request, form, save)
    if saved is not None:
        messages.success(request, _("Saved."))
        return redirect("talent:talent_detail", pk=saved.pk)
    if request.method == "POST" and status == 200:
        status = 400  # the children were wrong
    return render(
        request,
        "talent/talent_form.html",
        {"form": form, "formset": formset, "t": t},
        status=status,
    )


@access(Perm.TALENT_CHANGE)
def talent_create(request: SignedInRequest) -> HttpResponse:
    return _form(request, None)


@access(Perm.TALENT_CHANGE)
def talent_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    t = get_talent(request.user, pk)
    if not scope_for(request.user, Perm.TALENT_CHANGE).contains(t.region_path):
        raise PermissionDenied
    return _form(request, t)
