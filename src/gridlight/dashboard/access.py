"""Who sees which cockpit: the one place for this app.

A cockpit is a region's: the district's or a street's. Each section is shown to those who may
read its pillar over the whole region (the households' light to ``household.view``, tickets to
``ticket.view``, talents to ``talent.view``, key projects to ``project.view``, indicators to
``indicator.view``, the street evaluation to ``evaluation.view``, policies to ``policy.view``,
the map to ``position.view``), so a street office sees its street's cockpit
and the district sees the district's and every street's; a region outside all of these answers
404, and a user with none at a street or above 403. Refreshing by hand is the district's
(``project.manage`` over the district)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from gridlight.core.access import Perm, Scope, Viewer, scope_for
from gridlight.core.models import Region, RegionLevel
from gridlight.dashboard.models import Section

SECTION_PERMS: dict[str, Perm] = {
    Section.HOUSEHOLDS: Perm.HOUSEHOLD_VIEW,
    Section.TICKETS: Perm.TICKET_VIEW,
    Section.TALENT: Perm.TALENT_VIEW,
    Section.PROJECTS: Perm.PROJECT_VIEW,
    Section.INDICATORS: Perm.INDICATOR_VIEW,
    Section.MAP: Perm.POSITION_VIEW,
    Section.EVALUATION: Perm.EVALUATION_VIEW,
    Section.POLICIES: Perm.POLICY_VIEW,
}
# The pillars: a cockpit with only the map (every staff member has ``position.view``) is none.
PILLARS = [s for s in SECTION_PERMS if s != Section.MAP]


def sections_for(user: Viewer, region: Region) -> list[str]:
    """The sections ``user`` may read over the whole of ``region``."""
    shown = [s for s, perm in SECTION_PERMS.items() if scope_for(user, perm).contains(region.path)]
    return shown if any(s in PILLARS for s in shown) else []


def cockpit_regions(user: Viewer) -> QuerySet[Region]:
    """The district and streets whose cockpit ``user`` may open (a pillar over all of it)."""
    scope = Scope.of(p for s in PILLARS for p in scope_for(user, SECTION_PERMS[s]).paths)
    return Region.objects.filter(scope.q("path"), level__lte=RegionLevel.STREET).order_by(
        "level", "sort_order", "path"
    )


def cockpit_region(user: Viewer, code: str = "") -> Region:
    """The region asked for by code (404 outside the user's cockpits), else the user's
    outermost one (403 when there is none)."""
    regions = cockpit_regions(user)
    if code:
        region = regions.filter(code=code).first()
        if region is None:
            raise Http404
        return region
    region = regions.first()
    if region is None:
        raise PermissionDenied
    return region


def may_refresh(user: Viewer, region: Region) -> bool:
    return region.level == RegionLevel.DISTRICT and scope_for(user, Perm.PROJECT_MANAGE).contains(
        region.path
    )
