"""Enterprise pages: the list with search and filters, an enterprise's page (tags, R&D
platforms, the talents it employs, its service timeline) and the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridlight.core.access import Perm, SignedInRequest, access, scope_for
from gridlight.core.views.common import paginate, query_without_page, submit
from gridlight.talent import selectors, services
from gridlight.talent.access import get_enterprise
from gridlight.talent.forms import EnterpriseForm, PlatformFormSet
from gridlight.talent.models import Enterprise, TagKind
from gridlight.talent.views.common import (
    chosen_commissioner,
    chosen_street,
    enterprise_filtered,
    form_choices,
)


@access(Perm.TALENT_VIEW)
def enterprise_list(request: SignedInRequest) -> HttpResponse:
    form, qs = enterprise_filtered(request.user, request.GET)
    return render(
        request,
        "talent/enterprise_list.html",
        {
            "form": form,
            "page": paginate(request, qs),
            "query": query_without_page(request),
            "can_change": not scope_for(request.user, Perm.TALENT_CHANGE).empty,
        },
    )


@access(Perm.TALENT_VIEW)
def enterprise_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    e = get_enterprise(request.user, pk)
    employed = selectors.employed_talents(request.user, e)
    return render(
        request,
        "talent/enterprise_detail.html",
        {
            "e": e,
            **selectors.enterprise_detail(e),
            "talents": employed[:100],
            "talent_count": employed.count(),
            "can_change": scope_for(request.user, Perm.TALENT_CHANGE).contains(e.region_path),
        },
    )


def _tags(d: dict[str, Any]) -> list[services.TagInput]:
    tags = []
    if d.get("key_introduced_year") is not None:
        tags.append(services.TagInput(kind=TagKind.KEY_INTRODUCED, year=d["key_introduced_year"]))
    if d.get("srdi_level") or d.get("srdi_year") is not None:
        tags.append(
            services.TagInput(kind=TagKind.SRDI, level=d["srdi_level"], year=d["srdi_year"])
        )
    if d.get("listing_stage") or d.get("listing_year") is not None:
        tags.append(
            services.TagInput(
                kind=TagKind.LISTING_RESERVE, stage=d["listing_stage"], year=d["listing_year"]
            )
        )
    return tags


def _platforms(formset: Any) -> list[services.PlatformInput]:
    return [
        services.PlatformInput(**{k: f.cleaned_data[k] for k in ("name", "kind", "level", "year")})
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def _input(d: dict[str, Any], formset: Any, choices: dict[str, Any]) -> services.EnterpriseInput:
    return services.EnterpriseInput(
        name=d["name"],
        credit_code=d["credit_code"],
        industry=d["industry"],
        street=chosen_street(choices, d["street"]),
        address=d["address"],
        headcount=d["headcount"],
        revenue_yuan=d["revenue_yuan"],
        revenue_year=d["revenue_year"],
        tags=_tags(d),
        platforms=_platforms(formset),
        commissioner=chosen_commissioner(choices, d.get("commissioner", "")),
    )


def _initial(e: Enterprise) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    initial: dict[str, Any] = {
        "name": e.name,
        "credit_code": e.credit_code,
        "industry": e.industry,
        "street": e.street.code,
        "address": e.address,
        "headcount": e.headcount,
        "revenue_yuan": e.revenue_yuan,
        "revenue_year": e.revenue_year,
        "version": e.version,
    }
    for t in e.tags.all():
        if t.kind == TagKind.KEY_INTRODUCED:
            initial["key_introduced_year"] = t.year
        elif t.kind == TagKind.SRDI:
            initial.update(srdi_level=t.level, srdi_year=t.year)
        else:
            initial.update(listing_stage=t.stage, listing_year=t.year)
    platforms = [
        {"name": p.name, "kind": p.kind, "level": p.level, "year": p.year}
        for p in e.platforms.all()
    ]
    return initial, platforms


def _form(request: SignedInRequest, e: Enterprise | None) -> HttpResponse:
    choices = form_choices(request.user)
    initial, platform_initial = _initial(e) if e is not None else ({}, [])
    form = EnterpriseForm(request.POST or None, initial=initial, editing=e is not None, **choices)
    formset = PlatformFormSet(request.POST or None, initial=platform_initial, prefix="p")

    def save(d: dict[str, Any]) -> Enterprise | None:
        if not formset.is_valid():
            return None
        data = _input(d, formset, choices)
        if e is None:
            return services.enterprise_create(actor=request.user, data=data)
        return services.enterprise_update(
            actor=request.user, enterprise=e, version=d["version"] or 0, data=data
        )

    saved, status = submit(request, form, save)
    if saved is not None:
        messages.success(request, _("Saved."))
        return redirect("talent:enterprise_detail", pk=saved.pk)
    if request.method == "POST" and status == 200:
        status = 400  # the platforms were wrong
    return render(
        request,
        "talent/enterprise_form.html",
        {"form": form, "formset": formset, "e": e},
        status=status,
    )


@access(Perm.TALENT_CHANGE)
def enterprise_create(request: SignedInRequest) -> HttpResponse:
    return _form(request, None)


@access(Perm.TALENT_CHANGE)
def enterprise_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    e = get_enterprise(request.user, pk)
    if not scope_for(request.user, Perm.TALENT_CHANGE).contains(e.region_path):
        raise PermissionDenied
    return _form(request, e)
