"""What every page shows: who is signed in, with which roles and scope, and the module menu.

It lives in the project package, not in core, because the menu names every app's pages.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridlight.core.access import Perm, assignment_regions, assignments, has_perm

MENU: list[tuple[str, Any, Perm | None]] = [
    ("core:home", _("Home"), None),
    ("households:worklist", _("My visits"), Perm.VISIT_RECORD),
    ("households:list", _("Households"), Perm.HOUSEHOLD_VIEW),
    ("households:dashboard", _("Traffic light"), Perm.HOUSEHOLD_VIEW),
    ("tickets:list", _("Tickets"), None),
    ("tickets:worklist", _("Handling"), Perm.TICKET_HANDLE),
    ("tickets:dispatch", _("Dispatch"), Perm.TICKET_DISPATCH),
    ("tickets:supervision", _("Supervision"), Perm.TICKET_VIEW),
    ("tickets:kpi", _("KPIs"), Perm.TICKET_VIEW),
    ("development:project_list", _("Key projects"), Perm.PROJECT_VIEW),
    ("development:indicator_list", _("Indicators"), Perm.INDICATOR_VIEW),
    ("core:region_index", _("Region tree"), Perm.REGION_VIEW),
    ("core:position_list", _("Service positions"), Perm.POSITION_VIEW),
    ("core:position_map", _("Position map"), Perm.POSITION_VIEW),
    ("core:user_list", _("Users"), Perm.USER_VIEW),
    ("core:audit_list", _("Audit trail"), Perm.AUDIT_VIEW),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    held = assignments(user)
    regions = assignment_regions(held)
    menu = [
        {
            "url": reverse(name),
            "label": label,
            "active": request.resolver_match is not None
            and request.resolver_match.view_name == name,
        }
        for name, label, perm in MENU
        if perm is None or has_perm(user, perm)
    ]
    return {
        "shell_menu": menu,
        "shell_assignments": [
            {
                "role": a.get_role_display(),
                "region": regions[a.region_id].name if a.region_id in regions else "",
            }
            for a in held
        ],
    }
