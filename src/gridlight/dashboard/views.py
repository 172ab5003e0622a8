"""The cockpit page (大屏, 1920×1080, and the phone overview) and its refresh button."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridlight.core import jobs
from gridlight.core.access import SignedInRequest, access
from gridlight.dashboard import access as dash_access
from gridlight.dashboard import refresh, selectors


class RefreshForm(forms.Form):
    region = forms.CharField(max_length=32)


@access()
def cockpit(request: SignedInRequest) -> HttpResponse:
    region = dash_access.cockpit_region(request.user, request.GET.get("region", "")[:32])
    data = selectors.cockpit(request.user, region)
    regions = list(dash_access.cockpit_regions(request.user).values_list("code", "name", "level"))
    return render(
        request,
        "dashboard/cockpit.html",
        {
            "region": region,
            "data": data,
            "regions": regions,
            "may_refresh": dash_access.may_refresh(request.user, region),
        },
    )


@require_POST
@access()
def cockpit_refresh(request: SignedInRequest) -> HttpResponse:
    """Recompute the district's cockpit now (a background job; the schedule does it anyway)."""
    form = RefreshForm(request.POST)
    region = None
    if form.is_valid():
        region = (
            dash_access.cockpit_regions(request.user)
            .filter(code=form.cleaned_data["region"])
            .first()
        )
    if region is None or not dash_access.may_refresh(request.user, region):
        messages.error(request, _("Only the district refreshes its cockpit."))
        return redirect("dashboard:cockpit")
    job = jobs.start(
        refresh.JOB,
        actor=request.user,
        region_path=region.path,
        params={
            "region": region.code,
            "next": f"{reverse('dashboard:cockpit')}?region={region.code}",
        },
    )
    return redirect("core:job_detail", pk=job.pk)
