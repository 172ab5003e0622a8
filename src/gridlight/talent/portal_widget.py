"""The portal on the home page: a talent or an enterprise user landing on "/" sees its
commissioner and its problems at a glance, and the way into its portal."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from gridlight.core.access import Viewer, is_public_user
from gridlight.core.widgets import register
from gridlight.talent import portal
from gridlight.tickets.models import OPEN_STATUSES


@register
def talent_portal(request: HttpRequest) -> dict[str, Any] | None:
    user: Viewer = request.user
    if not is_public_user(user):
        return None
    record = portal.portal_record(user)
    if record is None:
        return None
    return {
        "template": "talent/portal/_home.html",
        "record": record,
        "commissioner": portal.commissioner_of(record),
        "open_count": portal.my_problems(user).filter(ticket__status__in=OPEN_STATUSES).count(),
    }
