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

# The menu's groups (one dropdown each, in the order first met), by the page's URL namespace or
# name: the platform's pillars. A page of no group stays a link of its own.
MENU_GROUPS: dict[str, tuple[str, Any]] = {
    "households": ("governance", _("Grassroots governance")),
    "tickets": ("governance", _("Grassroots governance")),
    "core:region_index": ("governance", _("Grassroots governance")),
    "core:position_list": ("governance", _("Grassroots governance")),
    "core:position_map": ("governance", _("Grassroots governance")),
    "talent": ("talent", _("Talent service")),
    "caseload": ("talent", _("Talent service")),
    "talent_problems": ("talent", _("Talent service")),
    "policies": ("talent", _("Talent service")),
    "evaluation": ("evaluation", _("Evaluation")),
    "development": ("projects", _("Key projects")),
    "dashboard": ("projects", _("Key projects")),
    "core:user_list": ("admin", _("Administration")),
    "core:audit_list": ("admin", _("Administration")),
}


def grouped(menu: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The menu's links gathered into :data:`MENU_GROUPS` (a group of one link stays a link):
    each entry a link, or a group with its ``links`` and ``active`` if one of them is."""
    entries: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for item in menu:
        name = item.get("name", "")
        group = MENU_GROUPS.get(name) or MENU_GROUPS.get(name.partition(":")[0])
        if group is None:
            entries.append(item)
            continue
        key, label = group
        if key not in groups:
            groups[key] = {"key": key, "label": label, "links": [], "active": False}
            entries.append(groups[key])
        groups[key]["links"].append(item)
        groups[key]["active"] |= item["active"]
    return [e["links"][0] if len(e.get("links", ())) == 1 else e for e in entries]


PORTAL_ROLES = {Role.TALENT, Role.ENTERPRISE}


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    held = assignments(user)
    regions = assignment_regions(held)
    menu = [
        {
            "name": name,
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
        "shell_menu": grouped(menu),
        "shell_assignments": [
            {
                "role": a.get_role_display(),
                "region": regions[a.region_id].name if a.region_id in regions else "",
            }
            for a in held
        ],
    }
