"""Household pages: list with search and filters, the household page with its light and why,
and the forms that change a household (each one reclassifies it at once)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core.access import Perm, SignedInRequest, Viewer, access, get_scoped, scope_for
from gridlight.core.crypto import decrypt
from gridlight.core.models import Region
from gridlight.core.selectors import region_by_code
from gridlight.core.views.common import flash_errors, paginate, query_without_page, submit
from gridlight.households import personal, services
from gridlight.households.classify import explain
from gridlight.households.forms import (
    DepartForm,
    HouseholdFilterForm,
    HouseholdForm,
    MemberForm,
    MoveForm,
    OverrideForm,
    VisitForm,
)
from gridlight.households.models import AttributeValue, Household, Resident, ResidentStatus
from gridlight.households.selectors import households_list, visits_for, with_members
from gridlight.households.views.common import rule_labels


def _filtered(user: Viewer, params: QueryDict) -> tuple[HouseholdFilterForm, Any]:
    form = HouseholdFilterForm(params or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    region = None
    if data.get("region"):
        region = region_by_code(user, Perm.HOUSEHOLD_VIEW, data["region"])
        if region is None:
            form.add_error("region", _("No region with this code in your scope."))
            return form, Household.objects.none()
    return form, households_list(
        user,
        q=data.get("q", ""),
        light=data.get("light", ""),
        attribute=data.get("attribute", ""),
        region=region,
    )


@access(Perm.HOUSEHOLD_VIEW)
def household_list(request: SignedInRequest) -> HttpResponse:
    form, qs = _filtered(request.user, request.GET)
    page = paginate(request, with_members(qs))
    return render(
        request,
        "households/household_list.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "labels": rule_labels(),
            "can_change": not scope_for(request.user, Perm.HOUSEHOLD_CHANGE).empty,
        },
    )


def _member_rows(household: Household) -> list[dict[str, Any]]:
    attrs: dict[int, list[str]] = {}
    for v in (
        AttributeValue.objects.filter(household=household)
        .exclude(resident=None)
        .select_related("attribute")
    ):
        label = v.attribute.name + (f"（{v.grade}级）" if v.grade else "")
        attrs.setdefault(v.resident_id or 0, []).append(label)
    today = timezone.localdate()
    rows = []
    for r in household.residents.order_by("status", "id"):
        rows.append(
            {
                "resident": r,
                "shown": personal.shown(r, today),
                "attributes": attrs.get(r.pk, []),
                "present": r.status == ResidentStatus.PRESENT,
            }
        )
    return rows


@access(Perm.HOUSEHOLD_VIEW)
def household_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    h = get_scoped(
        Household.objects.select_related("grid", "light_version"),
        request.user,
        Perm.HOUSEHOLD_VIEW,
        pk=pk,
    )
    version, evaluation = explain(h)
    user = request.user
    can_change = scope_for(user, Perm.HOUSEHOLD_CHANGE).contains(h.region_path)
    return render(
        request,
        "households/household_detail.html",
        {
            "h": h,
            "members": _member_rows(h),
            "version": version,
            "evaluation": evaluation,
            "household_attrs": AttributeValue.objects.filter(
                household=h, resident=None
            ).select_related("attribute"),
            "history": h.light_changes.select_related("actor", "rule_version")[:20],
            "visits": visits_for(h)[:20],
            "can_change": can_change,
            "can_visit": scope_for(user, Perm.VISIT_RECORD).contains(h.region_path),
            "can_reveal": scope_for(user, Perm.PERSONAL_REVEAL).contains(h.region_path),
            "override_form": OverrideForm(),
            "visit_form": VisitForm(),
        },
    )


def _grid(request: HttpRequest, code: str) -> Region | None:
    return region_by_code(request.user, Perm.HOUSEHOLD_CHANGE, code, level=3)


@access(Perm.HOUSEHOLD_CHANGE)
def household_create(request: SignedInRequest) -> HttpResponse:
    form = HouseholdForm(request.POST or None, prefix="h")
    member = MemberForm(request.POST or None, prefix="m")

    def register(d: dict[str, Any]) -> Household | None:
        if not member.is_valid():
            return None
        grid = _grid(request, d["grid"])
        if grid is None:
            form.add_error("grid", _("No grid with this code in your scope."))
            return None
        return services.household_register(
            actor=request.user,
            grid=grid,
            code=d["code"],
            address=d["address"],
            attributes=d["attributes"],
            members=[_member_input(member)],
        )

    h, status = submit(request, form, register)
    if h is not None:
        messages.success(request, _("Registered. Light: %(l)s.") % {"l": h.get_light_display()})
        return redirect("households:detail", pk=h.pk)
    if request.method == "POST" and status == 200:
        status = 400  # the member form or the grid was wrong
    return render(
        request, "households/household_form.html", {"form": form, "member": member}, status=status
    )


def _member_input(form: MemberForm) -> services.MemberInput:
    d = form.cleaned_data
    return services.MemberInput(
        name=d["name"],
        id_number=d["id_number"],
        phone=d["phone"],
        relation=d["relation"],
        attributes=form.attribute_grades(),
    )


@access(Perm.HOUSEHOLD_CHANGE)
def household_edit(request: SignedInRequest, pk: int) -> HttpResponse:
    h = get_scoped(Household.objects.all(), request.user, Perm.HOUSEHOLD_CHANGE, pk=pk)
    current = list(
        AttributeValue.objects.filter(household=h, resident=None).values_list(
            "attribute_id", flat=True
        )
    )
    form = HouseholdForm(
        request.POST or None,
        editing=True,
        initial={"address": h.address, "attributes": current, "version": h.version},
    )
    done, status = submit(
        request,
        form,
        lambda d: services.household_update(
            actor=request.user,
            household=h,
            version=d["version"] or 0,
            address=d["address"],
            attributes=d["attributes"],
        ),
    )
    if done is not None:
        messages.success(request, _("Saved."))
        return redirect("households:detail", pk=h.pk)
    return render(request, "households/household_form.html", {"form": form, "h": h}, status=status)


def _present_member(h: Household, resident_pk: int) -> Resident:
    resident = Resident.objects.filter(
        household=h, pk=resident_pk, status=ResidentStatus.PRESENT
    ).first()
    if resident is None:
        raise Http404
    return resident


@access(Perm.HOUSEHOLD_CHANGE)
def member_edit(request: SignedInRequest, pk: int, resident_pk: int | None = None) -> HttpResponse:
    h = get_scoped(Household.objects.all(), request.user, Perm.HOUSEHOLD_CHANGE, pk=pk)
    resident = _present_member(h, resident_pk) if resident_pk is not None else None
    initial: dict[str, Any] = {"version": h.version}
    if resident is not None:
        grades: dict[str, int | None] = {
            str(code): grade
            for code, grade in AttributeValue.objects.filter(resident=resident).values_list(
                "attribute_id", "grade"
            )
        }
        initial.update(
            name=resident.name,
            relation=resident.relation,
            attributes=list(grades),
            disability_grade=grades.get("disability"),
        )
    form = MemberForm(request.POST or None, initial=initial)

    def save(d: dict[str, Any]) -> Resident:
        member = _member_input(form)
        # Left empty when editing: the numbers stay as they are (they are never shown in full).
        if resident is not None and not member.id_number and resident.id_number_enc:
            member.id_number = decrypt(resident.id_number_enc)
        if resident is not None and not member.phone and resident.phone_enc:
            member.phone = decrypt(resident.phone_enc)
        return services.resident_save(
            actor=request.user,
            household=h,
            version=d["version"] or 0,
            member=member,
            resident=resident,
        )

    saved, status = submit(request, form, save)
    if saved is not None:
        messages.success(request, _("Saved."))
        return redirect("households:detail", pk=h.pk)
    return render(
        request,
        "households/member_form.html",
        {"form": form, "h": h, "resident": resident},
        status=status,
    )


@access(Perm.HOUSEHOLD_CHANGE)
def member_depart(request: SignedInRequest, pk: int, resident_pk: int) -> HttpResponse:
    h = get_scoped(Household.objects.all(), request.user, Perm.HOUSEHOLD_CHANGE, pk=pk)
    resident = _present_member(h, resident_pk)
    form = DepartForm(request.POST or None)
    done, status = submit(
        request,
        form,
        lambda d: (
            services.resident_depart(
                actor=request.user, resident=resident, status=d["status"], on=d["on"]
            )
            or True
        ),
    )
    if done:
        messages.success(request, _("Recorded."))
        return redirect("households:detail", pk=h.pk)
    return render(
        request,
        "households/simple_form.html",
        {
            "form": form,
            "h": h,
            "title": _("Record a death or move-out: %(n)s") % {"n": resident.name},
        },
        status=status,
    )


@access(Perm.HOUSEHOLD_CHANGE)
def household_move(request: SignedInRequest, pk: int) -> HttpResponse:
    h = get_scoped(Household.objects.all(), request.user, Perm.HOUSEHOLD_CHANGE, pk=pk)
    form = MoveForm(request.POST or None, initial={"version": h.version})

    def move(d: dict[str, Any]) -> Region | None:
        grid = _grid(request, d["grid"])
        if grid is None:
            form.add_error("grid", _("No grid with this code in your scope."))
            return None
        services.household_move(actor=request.user, household=h, version=d["version"], grid=grid)
        return grid

    grid, status = submit(request, form, move)
    if grid is not None:
        messages.success(request, _("Moved to %(g)s.") % {"g": grid.name})
        return redirect("households:detail", pk=h.pk)
    if request.method == "POST" and status == 200:
        status = 400
    return render(
        request,
        "households/simple_form.html",
        {"form": form, "h": h, "title": _("Move to another grid")},
        status=status,
    )


@require_POST
@access(Perm.HOUSEHOLD_CHANGE)
def household_override(request: SignedInRequest, pk: int) -> HttpResponse:
    h = get_scoped(Household.objects.all(), request.user, Perm.HOUSEHOLD_CHANGE, pk=pk)
    if request.POST.get("clear"):
        services.household_override_clear(actor=request.user, household=h)
        messages.success(request, _("The manual light was removed."))
        return redirect("households:detail", pk=h.pk)
    form = OverrideForm(request.POST)
    done, _status = submit(
        request,
        form,
        lambda d: services.household_override(actor=request.user, household=h, **d) or True,
    )
    if done:
        messages.success(request, _("The manual light is set."))
    else:
        flash_errors(request, form)
    return redirect("households:detail", pk=h.pk)


@require_POST
@access(Perm.PERSONAL_REVEAL)
def reveal(request: SignedInRequest, pk: int, resident_pk: int, what: str) -> HttpResponse:
    resident = get_scoped(
        Resident.objects.select_related("household"),
        request.user,
        Perm.PERSONAL_REVEAL,
        "household__region_path",
        pk=resident_pk,
        household_id=pk,
    )
    value = services.reveal(actor=request.user, resident=resident, what=what)
    return HttpResponse(format_html('<code class="gl-revealed">{}</code>', value))


@require_POST
@access(Perm.VISIT_RECORD)
def visit_create(request: SignedInRequest, pk: int) -> HttpResponse:
    h = get_scoped(Household.objects.all(), request.user, Perm.VISIT_RECORD, pk=pk)
    form = VisitForm(request.POST)
    visit, _status = submit(
        request, form, lambda d: services.visit_record(actor=request.user, household=h, **d)
    )
    if visit is not None:
        messages.success(request, _("Visit recorded."))
    else:
        flash_errors(request, form)
    if request.POST.get("next") == "worklist":
        return redirect("households:worklist")
    return redirect("households:detail", pk=h.pk)
