"""The grid worker's worklist and the traffic-light dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from gridlight.core.access import Perm, SignedInRequest, access, get_scoped
from gridlight.core.models import Region
from gridlight.core.selectors import region_breadcrumbs, region_scope_roots
from gridlight.households.models import Household, Light, VisitMethod
from gridlight.households.selectors import (
    light_counts_by_child,
    light_trend,
    worklist_section,
)
from gridlight.households.views.common import rule_labels

WORKLIST_PAGE = 50


@dataclass
class Section:
    name: str
    label: str
    page: Page[Household]
    query: str  # the other sections' pages, kept when this one turns


@access(Perm.VISIT_RECORD)
def worklist_view(request: SignedInRequest) -> HttpResponse:
    """The grid worker's visits in three sections, each paged on its own (``overdue-page``,
    ``today-page``, ``week-page``); the counts are those of the home page's tiles."""
    labels = rule_labels()
    today = timezone.localdate()
    sections = []
    for name, label in SECTION_LABELS.items():
        qs = worklist_section(request.user, name, today=today)
        page = Paginator(qs, WORKLIST_PAGE).get_page(request.GET.get(f"{name}-page"))
        # Prepared here rather than in the template: a page can hold fifty households.
        for h in page:
            h.url = reverse("households:detail", args=[h.pk])  # type: ignore[attr-defined]
            h.member_names = "、".join(m.name for m in h.members)  # type: ignore[attr-defined]
            h.reason_labels = [  # type: ignore[attr-defined]
                labels.get(c, (c, "")) for c in h.reasons
            ]
            h.days_overdue = (today - h.next_visit_due).days  # type: ignore[attr-defined, operator]
        others = request.GET.copy()
        others.pop(f"{name}-page", None)
        sections.append(Section(name, str(label), page, others.urlencode()))
    return render(
        request,
        "households/worklist.html",
        {
            "sections": sections,
            "today": today,
            "today_iso": today.isoformat(),
            "methods": VisitMethod.choices,
            "light_names": dict(Light.choices),
        },
    )


SECTION_LABELS = {
    "overdue": gettext_lazy("Overdue"),
    "today": gettext_lazy("Due today"),
    "week": gettext_lazy("Within a week"),
}


@access(Perm.HOUSEHOLD_VIEW)
def dashboard(request: SignedInRequest, pk: int | None = None) -> HttpResponse:
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
        "trend_weeks": [d.isoformat() for d in trend.weeks],
        "trend_red": trend.red,
        "trend_yellow": trend.yellow,
        "trend_green": trend.green,
    }
    return render(
        request,
        "households/dashboard.html",
        {
            "region": region,
            "total": total,
            "children": children,
            "chart": chart,
            "trend": trend,
            "breadcrumbs": region_breadcrumbs(request.user, region),
        },
    )
