"""Where a reported problem is, when the person did not pick the place: from their coordinates
(the grid of the nearest grid station) or from an address that names a street, community or
grid. One answer for the pages, the API and Open311 (``services.submit`` asks here)."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from gridlight.core.access import Perm, Viewer, is_public_user, scope_for
from gridlight.core.errors import DomainError
from gridlight.core.models import PositionKind, Region, RegionLevel, ServicePosition

NEAREST_STATION_METRES = 3000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def nearest_grid(lat: float, lon: float) -> Region | None:
    """The grid of the nearest grid station within NEAREST_STATION_METRES of the point."""
    dlat = NEAREST_STATION_METRES / 111_000
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    stations = ServicePosition.objects.filter(
        kind=PositionKind.GRID_STATION,
        latitude__gte=lat - dlat,
        latitude__lte=lat + dlat,
        longitude__gte=lon - dlon,
        longitude__lte=lon + dlon,
    ).select_related("region")
    best: tuple[float, ServicePosition] | None = None
    for station in stations:
        if station.latitude is None or station.longitude is None:
            continue
        d = distance_m(lat, lon, float(station.latitude), float(station.longitude))
        if d <= NEAREST_STATION_METRES and (best is None or d < best[0]):
            best = (d, station)
    return best[1].region if best else None


def named_in(address: str, user: Viewer) -> Region | None:
    """The most precise region the address names (a grid before a community before a street;
    among equals the one whose street is named too, then the longest name), among those
    ``user`` may report about: the public anywhere, staff in their scope."""
    text = "".join(address.split())
    if not text:
        return None
    qs = Region.objects.filter(level__gte=RegionLevel.STREET).only("pk", "name", "path", "level")
    if not is_public_user(user):
        scope = scope_for(user, Perm.TICKET_CREATE)
        if scope.empty:
            return None
        qs = qs.filter(scope.q("path"))
    found = [r for r in qs.iterator() if len(r.name) >= 2 and r.name in text]
    if not found:
        return None
    # Two communities of one name in different streets: the one whose street is named too.
    paths = [r.path for r in found]

    def precision(r: Region) -> tuple[int, int, int]:
        named_above = sum(1 for p in paths if r.path.startswith(p + "."))
        return (r.level, named_above, len(r.name))

    return max(found, key=precision)


def where(*, user: Viewer, latitude: float | None, longitude: float | None, address: str) -> Region:
    """The region of a problem given no region: by coordinates, else by the address."""
    if latitude is not None and longitude is not None:
        grid = nearest_grid(latitude, longitude)
        if grid is not None:
            return grid
    region = named_in(address, user)
    if region is None:
        raise DomainError(
            _(
                "Say where the problem is: pick the community, use your location, or give an "
                "address that names the street or community."
            )
        )
    return region
