"""The grid worker's worklist and the traffic-light dashboard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from gridlight.core.access import Perm, access, get_scoped
from gridlight.core.models import Region
from gridlight.core.selectors import region_breadcrumbs, region_scope_roots
from gridlight.households.forms import VisitForm
from gridlight.households.models import ServicePackage
from gridlight.households.selectors import light_counts_by_child, light_trend, worklist
from gridlight.households.views.common import rule_labels


@access(Perm.VISIT_RECORD)
def worklist_view(request: HttpRequest) -> HttpResponse:
    sections = worklist(request.user)
    return render(
        request,
        "households/worklist.html",
        {
            "sections": sections,
            "today": timezone.localdate(),
            "visit_form": VisitForm(),
            "labels": rule_labels(),
            "packages": {p.light: p for p in ServicePackage.objects.all()},
        },
    )


@access(Perm.HOUSEHOLD_VIEW)
def dashboard(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        region = region_scope_roots(request.user).first()
        if region is None:
            region = get_scoped(
                Region.objects.all(), request.user, Perm.HOUSEHOLD_VIEW, "path", pk=0
            )
    else:
        region = get_scoped(Region.objects.all(), request.user, Perm.HOUSEHOLD_VIEW, "path", pk=pk)
    total, children = light_counts_by_child(request.user, region)
    trend = light_trend(request.user, region)
    chart = {
        "names": [c.name for c, _n in children],
        "red": [n.red for _c, n in children],
        "yellow": [n.yellow for _c, n in children],
        "green": [n.green for _c, n in children],
        "trend_weeks": [d.isoformat() for d, _v in trend],
        "trend_red": [v["red"] for _d, v in trend],
        "trend_yellow": [v["yellow"] for _d, v in trend],
        "trend_green": [v["green"] for _d, v in trend],
    }
    return render(
        request,
        "households/dashboard.html",
        {
            "region": region,
            "total": total,
            "children": children,
            "chart": chart,
            "breadcrumbs": region_breadcrumbs(request.user, region),
        },
    )
