"""Outlines of streets and communities for the position map.

Real outlines come from a GeoJSON file (a ``FeatureCollection`` whose features carry the region
code in ``properties.code``, with a ``Polygon`` or ``MultiPolygon`` geometry). Like the workbook
imports (``core/imports.py``) the whole file is checked first; any problem rejects it with a
message per feature and nothing is written; a clean file is written in one transaction, matched by
region code, so importing it again changes nothing.

Until a region's outline has been imported, the map draws a schematic one: the convex hull of
its positions' coordinates, widened a little so the points lie inside. The map says so.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from gridlight.core import audit
from gridlight.core.access import Perm, Scope, Viewer, require, scope_for
from gridlight.core.errors import ImportRejected, RowError
from gridlight.core.imports import ImportResult
from gridlight.core.models import Region, RegionBoundary, ServicePosition, User
from gridlight.core.models.regions import SEGMENT_WIDTH, subtree

MAX_FEATURES = 5000
MAX_POINTS = 500_000  # in the whole file
CODE_KEYS = ("code", "编码", "adcode")
Point = tuple[float, float]


# --- import ----------------------------------------------------------------------------------


@dataclass
class _Outline:
    row: int
    region: Region
    geometry: dict[str, Any]


def _rejected(message: str) -> ImportRejected:
    return ImportRejected([RowError(0, "", message)])


def read_geojson(upload: IO[bytes]) -> list[Any]:
    """The features of a GeoJSON ``FeatureCollection``; refused as a whole if it is not one."""
    try:
        data = json.loads(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _rejected(_("The file is not UTF-8 text.")) from exc
    except json.JSONDecodeError as exc:
        raise _rejected(
            _("Not valid GeoJSON (line %(line)s, column %(col)s): %(msg)s")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise _rejected(_('The file must be a GeoJSON "FeatureCollection".'))
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise _rejected(_("The FeatureCollection has no features."))
    if len(features) > MAX_FEATURES:
        raise _rejected(_("At most %(n)s features in one file.") % {"n": MAX_FEATURES})
    return features


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ring(raw: Any) -> tuple[list[list[float]] | None, str]:
    """A linear ring, rounded to six decimals, or None and the reason it is not one."""
    if not isinstance(raw, list) or len(raw) < 4:
        return None, _("A ring needs at least four positions (the first repeated at the end).")
    ring: list[list[float]] = []
    for pos in raw:
        if not isinstance(pos, list) or len(pos) < 2 or not all(_number(v) for v in pos[:2]):
            return None, _("A position must be [longitude, latitude] in numbers.")
        lng, lat = float(pos[0]), float(pos[1])
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            return None, _(
                "Position %(lng)s, %(lat)s is outside longitude -180…180 / latitude -90…90."
            ) % {"lng": pos[0], "lat": pos[1]}
        ring.append([round(lng, 6), round(lat, 6)])
    if ring[0] != ring[-1]:
        return None, _("A ring must end where it starts.")
    return ring, ""


def check_geometry(raw: Any) -> tuple[dict[str, Any] | None, str, int]:
    """The geometry normalised (rounded), or None with the reason; and its number of points."""
    if not isinstance(raw, dict) or raw.get("type") not in {"Polygon", "MultiPolygon"}:
        return None, _("The geometry must be a Polygon or a MultiPolygon."), 0
    coords = raw.get("coordinates")
    polygons = [coords] if raw["type"] == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return None, _("The geometry has no coordinates."), 0
    out: list[list[list[list[float]]]] = []
    points = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return None, _("A polygon must be a list of rings."), 0
        rings = []
        for raw_ring in polygon:
            ring, why = _ring(raw_ring)
            if ring is None:
                return None, why, 0
            rings.append(ring)
            points += len(ring)
        out.append(rings)
    geometry = (
        {"type": "Polygon", "coordinates": out[0]}
        if raw["type"] == "Polygon"
        else {"type": "MultiPolygon", "coordinates": out}
    )
    return geometry, "", points


def _code(feature: dict[str, Any]) -> str:
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        return ""
    for key in CODE_KEYS:
        if props.get(key) not in (None, ""):
            return str(props[key]).strip()
    return ""


def import_boundaries(*, actor: User, upload: IO[bytes], filename: str = "") -> ImportResult:
    """Import region outlines from GeoJSON (all-or-nothing, idempotent by region code).

    Each feature names its region by ``properties.code``; the region must exist and lie in the
    actor's write scope for regions."""
    features = read_geojson(upload)
    scope = scope_for(actor, Perm.REGION_CHANGE)
    codes = {_code(f) for f in features if isinstance(f, dict)} - {""}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    errors: list[RowError] = []
    outlines: list[_Outline] = []
    seen: dict[str, int] = {}
    total_points = 0
    code_col, geom_col = "properties.code", "geometry"
    for row, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(RowError(row, "type", _('Each entry must be a GeoJSON "Feature".')))
            continue
        code = _code(feature)
        region = regions.get(code)
        if not code:
            errors.append(RowError(row, code_col, _("The feature has no region code.")))
        elif code in seen:
            errors.append(
                RowError(
                    row,
                    code_col,
                    _("Code %(code)s repeats feature %(row)s.") % {"code": code, "row": seen[code]},
                )
            )
            region = None
        elif region is None:
            errors.append(
                RowError(row, code_col, _("Unknown region code %(code)s.") % {"code": code})
            )
        elif not scope.contains(region.path):
            errors.append(
                RowError(row, code_col, _("You may not change %(code)s.") % {"code": code})
            )
            region = None
        if code:
            seen.setdefault(code, row)
        geometry, why, points = check_geometry(feature.get("geometry"))
        total_points += points
        if geometry is None:
            errors.append(RowError(row, geom_col, why))
        elif region is not None:
            outlines.append(_Outline(row, region, geometry))
    if total_points > MAX_POINTS:
        errors.append(RowError(0, "", _("At most %(n)s points in one file.") % {"n": MAX_POINTS}))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.column)))
    return _write(actor, outlines, filename)


@transaction.atomic
def _write(actor: User, outlines: list[_Outline], filename: str) -> ImportResult:
    existing = {
        b.region_id: b
        for b in RegionBoundary.objects.filter(region__in=[o.region for o in outlines])
    }
    user = actor if getattr(actor, "is_authenticated", False) else None
    created = updated = unchanged = 0
    for o in outlines:
        current = existing.get(o.region.pk)
        if current is None:
            RegionBoundary.objects.create(
                region=o.region,
                region_path=o.region.path,
                geometry=o.geometry,
                source=filename[:200],
                updated_by=user,
            )
            created += 1
        elif current.geometry == o.geometry:
            unchanged += 1
        else:
            RegionBoundary.objects.filter(pk=current.pk).update(
                geometry=o.geometry,
                source=filename[:200],
                updated_by=user,
                version=F("version") + 1,
            )
            updated += 1
    if created or updated:
        audit.record(
            actor=actor,
            action="boundary.import",
            object_type="core.regionboundary",
            object_label=filename or _("outline file"),
            changes={
                "created": created,
                "updated": updated,
                "unchanged": unchanged,
                "codes": sorted(o.region.code for o in outlines)[:50],
            },
        )
    return ImportResult(created, updated, unchanged)


# --- schematic outlines ----------------------------------------------------------------------

# A lone position, or a line of them, is drawn as a small square this many degrees around it
# (about 300 m); a hull is widened by this much plus a tenth, so its points lie inside.
PAD = 0.003


def convex_hull(points: Iterable[Point]) -> list[Point]:
    """The convex hull, counter-clockwise, without repeating the first point (Andrew's chain)."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def schematic_outline(points: Sequence[Point]) -> dict[str, Any]:
    """A Polygon around ``points``: their convex hull widened, or a padded box when they do not
    span an area."""
    hull = convex_hull(points)
    if len(hull) < 3:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        x0, x1, y0, y1 = min(xs) - PAD, max(xs) + PAD, min(ys) - PAD, max(ys) + PAD
        ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    else:
        cx = sum(p[0] for p in hull) / len(hull)
        cy = sum(p[1] for p in hull) / len(hull)
        ring = []
        for x, y in hull:
            dx, dy = x - cx, y - cy
            length = math.hypot(dx, dy) or 1.0
            grow = 0.1 + PAD / length
            ring.append((x + dx * grow, y + dy * grow))
    coords = [[round(x, 6), round(y, 6)] for x, y in ring]
    return {"type": "Polygon", "coordinates": [[*coords, coords[0]]]}


# --- what the map draws ----------------------------------------------------------------------


def _path_length(level: int) -> int:
    """Length of a materialised path at ``level`` (0 = district)."""
    return (SEGMENT_WIDTH + 1) * (level + 1) - 1


def map_areas(user: Viewer, *, level: int, region: Region | None = None) -> list[dict[str, Any]]:
    """GeoJSON features for the regions at ``level`` in the user's view scope for positions
    (under ``region`` if given): the imported outline where there is one, else a schematic
    outline from the positions' coordinates (``properties.schematic``). Three queries."""
    scope: Scope = require(user, Perm.POSITION_VIEW)
    regions = Region.objects.filter(scope.q("path"), level=level)
    positions = ServicePosition.objects.filter(scope.q("region_path"), longitude__isnull=False)
    if region is not None:
        regions = regions.filter(subtree("path", region.path))
        positions = positions.filter(subtree("region_path", region.path))
    listed = list(regions.order_by("path").values_list("pk", "code", "name", "path"))
    outlines = dict(
        RegionBoundary.objects.filter(region_id__in=[pk for pk, *_rest in listed]).values_list(
            "region_id", "geometry"
        )
    )
    cut = _path_length(level)
    points: dict[str, list[Point]] = defaultdict(list)
    for path, lng, lat in positions.values_list("region_path", "longitude", "latitude"):
        if len(path) >= cut and isinstance(lng, Decimal | float) and lat is not None:
            points[path[:cut]].append((float(lng), float(lat)))
    features = []
    for pk, code, name, path in listed:
        geometry = outlines.get(pk)
        if geometry is None and not points.get(path):
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "name": code,
                    "label": name,
                    "schematic": geometry is None,
                    "positions": len(points.get(path, [])),
                },
                "geometry": geometry or schematic_outline(points[path]),
            }
        )
    return features


def outlines_geojson(features: list[dict[str, Any]]) -> dict[str, Any]:
    """Features as a file the import reads back (``properties.code``): the download that serves
    as the template, schematic outlines included, to be corrected in a GIS tool."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": f["properties"]["name"],
                    "name": f["properties"]["label"],
                    "schematic": f["properties"]["schematic"],
                },
                "geometry": f["geometry"],
            }
            for f in features
        ],
    }
