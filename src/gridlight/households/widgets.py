"""The traffic light on the home page: lights in scope, and the visits due for those who visit."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest

from gridlight.core.access import Perm, has_perm, scoped
from gridlight.core.widgets import register
from gridlight.households.models import Household, HouseholdStatus
from gridlight.households.selectors import worklist_counts


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
        # The worklist's own counts, so the tiles and the worklist agree.
        context["visits"] = worklist_counts(user)
    return context
