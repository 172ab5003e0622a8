"""The traffic light on the home page: lights in scope, and the visits due for those who visit."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from gridlight.core.access import Perm, has_perm
from gridlight.core.widgets import register
from gridlight.households.selectors import light_totals, worklist_counts


@register
def traffic_light(request: HttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not has_perm(user, Perm.HOUSEHOLD_VIEW):
        return None
    context: dict[str, Any] = {"template": "households/_home.html", "lights": light_totals(user)}
    if has_perm(user, Perm.VISIT_RECORD):
        # The worklist's own counts, so the tiles and the worklist agree.
        context["visits"] = worklist_counts(user)
    return context
