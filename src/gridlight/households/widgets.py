"""The traffic light on the home page: lights in scope, and the visits due for those who visit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone

from gridlight.core.access import Perm, has_perm, scoped
from gridlight.core.widgets import register
from gridlight.households.models import Household, HouseholdStatus


@register
def traffic_light(request: HttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not has_perm(user, Perm.HOUSEHOLD_VIEW):
        return None
    active = Household.objects.filter(status=HouseholdStatus.ACTIVE)
    lights = dict(
        scoped(active, user, Perm.HOUSEHOLD_VIEW)
        .values_list("light")
        .annotate(n=Count("id"))
        .order_by()
    )
    context: dict[str, Any] = {
        "template": "households/_home.html",
        "lights": {k: lights.get(k, 0) for k in ("red", "yellow", "green")},
    }
    if has_perm(user, Perm.VISIT_RECORD):
        today = timezone.localdate()
        mine = scoped(active, user, Perm.VISIT_RECORD)
        context["overdue"] = mine.filter(next_visit_due__lt=today).count()
        context["due_week"] = mine.filter(
            next_visit_due__gte=today, next_visit_due__lte=today + timedelta(days=7)
        ).count()
    return context
