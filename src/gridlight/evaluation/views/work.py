"""What streets and communities do in the cycle: their 一街一品 entry (milestones done, evidence),
action items done, cadres' development (经纬雁阵) and the 红色家园 inspections with their
rectifications."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridlight.core.access import (
    Perm,
    SignedInRequest,
    access,
    get_scoped,
    has_perm,
    scope_for,
    scoped,
)
from gridlight.core.forms import Form
from gridlight.core.views.common import flash_errors, submit
from gridlight.evaluation import access as eval_access
from gridlight.evaluation import services
from gridlight.evaluation.models import (
    ActionItem,
    Cadre,
    Evidence,
    EvidenceKind,
    Inspection,
    Milestone,
    Rectification,
    StreetBrand,
)
from gridlight.evaluation.views.common import DoneForm, post_inline


class EvidenceForm(Form):
    milestone = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=EvidenceKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120, required=False)
    file = forms.FileField(label=gettext_lazy("File"))


@access(Perm.EVALUATION_VIEW)
def brand_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    brand = get_scoped(
        StreetBrand.objects.select_related("cycle", "street"),
        request.user,
        Perm.EVALUATION_VIEW,
        pk=pk,
    )
    milestones = brand.milestones.annotate(n_evidence=Count("evidence")).prefetch_related(
        "evidence"
    )
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        eval_access.get_reported(StreetBrand.objects.all(), request.user, pk)
        done, _status = submit(
            request,
            form,
            lambda d: services.evidence_add(
                actor=request.user,
                milestone=eval_access.get_reported(
                    Milestone.objects.filter(brand=brand), request.user, d["milestone"]
                ),
                kind=d["kind"],
                title=d["title"],
                upload=d["file"],
            ),
        )
        if done is not None:
            messages.success(request, _("Evidence added."))
            return redirect("evaluation:brand", pk=brand.pk)
        flash_errors(request, form)
    return render(
        request,
        "evaluation/brand.html",
        {
            "brand": brand,
            "cycle": brand.cycle,
            "milestones": milestones,
            "today": timezone.localdate(),
            "kinds": EvidenceKind.choices,
            "reports": scope_for(request.user, Perm.EVALUATION_REPORT).contains(brand.region_path),
        },
    )


@require_POST
@access(Perm.EVALUATION_REPORT)
def milestone_done(request: SignedInRequest, pk: int) -> HttpResponse:
    milestone = eval_access.get_reported(Milestone.objects.all(), request.user, pk)
    return post_inline(
        request,
        DoneForm(request.POST),
        lambda d: services.milestone_done(
            actor=request.user, milestone=milestone, version=d["version"], done_on=d["done_on"]
        ),
        reverse("evaluation:brand", args=[milestone.brand_id]),
    )


@require_POST
@access(Perm.EVALUATION_REPORT)
def action_done(request: SignedInRequest, pk: int) -> HttpResponse:
    item = eval_access.get_reported(ActionItem.objects.select_related("event"), request.user, pk)
    return post_inline(
        request,
        DoneForm(request.POST),
        lambda d: services.action_item_done(
            actor=request.user, item=item, version=d["version"], done_on=d["done_on"]
        ),
        reverse("evaluation:meetings", args=[item.event.cycle_id]),
    )


@access(Perm.EVALUATION_VIEW)
def cadre_list(request: SignedInRequest) -> HttpResponse:
    cadres = (
        scoped(Cadre.objects.select_related("region"), request.user, Perm.EVALUATION_VIEW)
        .annotate(
            n=Count("participations"),
            hours=Sum("participations__hours", default=0),
            postings=Count(
                "participations", filter=Q(participations__measure__records_posting=True)
            ),
        )
        .order_by("region_path", "name")[:500]
    )
    reports = has_perm(request.user, Perm.EVALUATION_REPORT)
    return render(request, "evaluation/cadres.html", {"cadres": cadres, "reports": reports})


@access(Perm.EVALUATION_VIEW)
def cadre_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    cadre = get_scoped(
        Cadre.objects.select_related("region"), request.user, Perm.EVALUATION_VIEW, pk=pk
    )
    rows = cadre.participations.select_related("measure", "round").order_by("started_on", "pk")
    reports = scope_for(request.user, Perm.EVALUATION_REPORT).contains(cadre.region_path)
    return render(
        request, "evaluation/cadre.html", {"cadre": cadre, "rows": rows, "reports": reports}
    )


@access(Perm.EVALUATION_VIEW)
def positions(request: SignedInRequest) -> HttpResponse:
    inspections = (
        scoped(Inspection.objects.select_related("position"), request.user, Perm.EVALUATION_VIEW)
        .annotate(
            failed=Count("rectifications"),
            open=Count("rectifications", filter=Q(rectifications__fixed_on__isnull=True)),
        )
        .order_by("-inspected_on", "-pk")[:500]
    )
    open_items = scoped(
        Rectification.objects.filter(fixed_on__isnull=True).select_related(
            "item", "inspection__position"
        ),
        request.user,
        Perm.EVALUATION_VIEW,
    ).order_by("deadline", "pk")[:500]
    return render(
        request,
        "evaluation/positions.html",
        {
            "inspections": inspections,
            "open_items": open_items,
            "today": timezone.localdate(),
            "manages": has_perm(request.user, Perm.EVALUATION_MANAGE),
        },
    )


@require_POST
@access(Perm.EVALUATION_REPORT)
def rectification_fix(request: SignedInRequest, pk: int) -> HttpResponse:
    row = eval_access.get_reported(
        Rectification.objects.select_related("inspection"), request.user, pk
    )
    return post_inline(
        request,
        DoneForm(request.POST),
        lambda d: services.rectification_fix(
            actor=request.user, rectification=row, version=d["version"], fixed_on=d["done_on"]
        ),
        reverse("evaluation:positions"),
    )


@access(Perm.EVALUATION_VIEW)
def evidence(request: SignedInRequest, pk: int) -> HttpResponse:
    row = get_scoped(Evidence.objects.all(), request.user, Perm.EVALUATION_VIEW, pk=pk)
    response = HttpResponse(bytes(row.data), content_type=row.content_type)
    response["Content-Disposition"] = f'attachment; filename="evidence-{row.pk}"'
    return response
