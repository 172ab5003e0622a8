"""The cockpit's data (the same as its page draws): the region's figures with their provenance,
read from the pre-aggregated tiles, scoped as the page is."""

from __future__ import annotations

from typing import Any

from ninja import Router

from gridlight.core.access import SignedInRequest
from gridlight.dashboard import access as dash_access
from gridlight.dashboard import selectors

router = Router(tags=["cockpit"])


@router.get("/cockpit", response=dict[str, Any])
def cockpit(request: SignedInRequest, region: str = "") -> dict[str, Any]:
    """The cockpit of ``region`` (a district or street code; by default the outermost one the
    caller may open): 404 outside the caller's scope, 403 with no cockpit at all."""
    place = dash_access.cockpit_region(request.user, region[:32])
    return selectors.cockpit(request.user, place)
