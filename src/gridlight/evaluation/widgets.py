"""The community echelon (领跑/先进/跟进) and the street's annual place on the region pages,
registered with the core's region panels (core/widgets.py), so the core never imports this app.
The region page includes the template with the panel as ``panel``.

A region's page shows the latest evaluation year that has computed standings over it: for a
district, its communities by tier; for a street, its annual rank and its communities' tiers;
for a community, its tier. Only what the user sees in the evaluation's view scope."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from gridlight.core.access import Perm, scope_for
from gridlight.core.models import Region, RegionLevel
from gridlight.core.models.regions import subtree
from gridlight.core.widgets import register_region_panel
from gridlight.evaluation.models import CycleYear, Standing


def _ancestors_or_self(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@register_region_panel
def echelon(request: HttpRequest, region: Region) -> dict[str, Any] | None:
    scope = scope_for(request.user, Perm.EVALUATION_VIEW)
    if scope.empty or region.level > RegionLevel.COMMUNITY:
        return None
    cycle = (
        CycleYear.objects.filter(
            region_path__in=_ancestors_or_self(region.path), standings__isnull=False
        )
        .order_by("-year")
        .first()
    )
    if cycle is None:
        return None
    rows = list(
        Standing.objects.filter(scope.q("region_path"), subtree("region_path", region.path))
        .filter(cycle=cycle)
        .select_related("region")
        .order_by("level", "rank", "region_path")
    )
    if not rows:
        return None
    own = next((s for s in rows if s.region_id == region.pk), None)
    communities = [s for s in rows if s.level == RegionLevel.COMMUNITY]
    tiers = [
        (value, label, [s for s in communities if s.tier == value])
        for value, label in Standing.Tier.choices
    ]
    return {
        "template": "evaluation/_region_echelon.html",
        "cycle": cycle,
        "own": own,
        # A community's own page shows its tier alone.
        "tiers": [t for t in tiers if t[2]] if region.level < RegionLevel.COMMUNITY else [],
    }
