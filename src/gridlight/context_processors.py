"""What every page shows: who is signed in, with which roles and scope, and the module menu.

It lives in the project package, not in core, because the menu names every app's pages.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridlight.core.access import Perm, assignment_regions, assignments, has_perm
from gridlight.core.models import Role

MENU: list[tuple[str, Any, Perm | None]] = [
    ("core:home", _("Home"), None),
    ("dashboard:cockpit", _("Cockpit"), Perm.PROJECT_VIEW),
    ("households:worklist", _("My visits"), Perm.VISIT_RECORD),
    ("households:list", _("Households"), Perm.HOUSEHOLD_VIEW),
    ("households:dashboard", _("Traffic light"), Perm.HOUSEHOLD_VIEW),
    ("tickets:list", _("Tickets"), None),
    ("tickets:worklist", _("Handling"), Perm.TICKET_HANDLE),
    ("tickets:dispatch", _("Dispatch"), Perm.TICKET_DISPATCH),
    ("tickets:supervision", _("Supervision"), Perm.TICKET_VIEW),
    ("tickets:kpi", _("KPIs"), Perm.TICKET_VIEW),
    ("policies:list", _("Policies"), Perm.POLICY_VIEW),
    ("talent:talent_list", _("Talents"), Perm.TALENT_VIEW),
    ("talent:enterprise_list", _("Enterprises"), Perm.TALENT_VIEW),
    ("caseload:mine", _("Caseloads"), Perm.TALENT_CHANGE),
    ("evaluation:index", _("Street evaluation"), Perm.EVALUATION_VIEW),
    ("talent_problems:list", _("Talent problems"), Perm.TALENT_VIEW),
    ("development:project_list", _("Key projects"), Perm.PROJECT_VIEW),
    ("development:indicator_list", _("Indicators"), Perm.INDICATOR_VIEW),
    ("core:region_index", _("Region tree"), Perm.REGION_VIEW),
    ("core:position_list", _("Service positions"), Perm.POSITION_VIEW),
    ("core:position_map", _("Position map"), Perm.POSITION_VIEW),
    ("core:user_list", _("Users"), Perm.USER_VIEW),
    ("core:audit_list", _("Audit trail"), Perm.AUDIT_VIEW),
]


PORTAL_ROLES = {Role.TALENT, Role.ENTERPRISE}


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
    if {a.role for a in held} & PORTAL_ROLES:
        # Talents and enterprises hold no permission: their portal is offered by role.
        menu.insert(
            1, {"url": reverse("talent_portal:home"), "label": _("My service"), "active": False}
        )
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
