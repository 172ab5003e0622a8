"""The position map: positions over the outlines of streets, communities or grids, and the import
of real outlines (GeoJSON) that replace the schematic ones."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core import boundaries
from gridlight.core.access import Perm, access, require, scope_for
from gridlight.core.errors import ImportRejected
from gridlight.core.forms import MAP_LEVELS, MapFilterForm, OutlineUploadForm
from gridlight.core.models import PositionKind, Region
from gridlight.core.selectors import region_by_code
from gridlight.core.views.positions import _filtered


def _level(request: HttpRequest, form: MapFilterForm) -> tuple[int, Region | None]:
    """The level whose outlines are drawn (asked for, or one below the area shown) and the
    region filtered on."""
    data = getattr(form, "cleaned_data", {})
    region = None
    if data.get("region"):
        region = region_by_code(request.user, Perm.REGION_VIEW, data["region"])
    if data.get("level"):
        return MAP_LEVELS[data["level"]], region
    if region is not None:
        top = region.level
    else:
        top = min(p.count(".") for p in require(request.user, Perm.POSITION_VIEW).paths)
    return min(top + 1, MAP_LEVELS["grid"]), region


@access(Perm.POSITION_VIEW)
def position_map(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request, MapFilterForm)
    assert isinstance(form, MapFilterForm)
    level, region = _level(request, form)
    points = [
        [float(lng), float(lat), name, kind, pk]
        for lng, lat, name, kind, pk in qs.filter(longitude__isnull=False).values_list(
            "longitude", "latitude", "name", "kind", "pk"
        )
    ]
    areas = boundaries.map_areas(request.user, level=level, region=region) if points else []
    return render(
        request,
        "core/position_map.html",
        {
            "form": form,
            "points": points,
            "areas": {"type": "FeatureCollection", "features": areas},
            "schematic": sum(1 for a in areas if a["properties"]["schematic"]),
            "kinds": [[k.value, str(k.label)] for k in PositionKind],
            "words": {
                "schematic": _("schematic outline, drawn from the positions"),
                "imported": _("imported outline"),
                "positions": _("positions"),
                "legend": _("Dashed: schematic outlines (no real outline imported yet)"),
            },
            "can_import": not scope_for(request.user, Perm.REGION_CHANGE).empty,
        },
    )


@access(Perm.REGION_CHANGE)
def outline_import(request: HttpRequest) -> HttpResponse:
    form = OutlineUploadForm(request.POST or None, request.FILES or None)
    errors = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = boundaries.import_boundaries(
                    actor=request.user, upload=upload, filename=upload.name
                )
            except ImportRejected as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    _("Import finished: %(c)s created, %(u)s updated, %(n)s unchanged.")
                    % {"c": result.created, "u": result.updated, "n": result.unchanged},
                )
                return redirect("core:position_map")
    return render(
        request,
        "core/import.html",
        {
            "form": form,
            "errors": errors,
            "title": _("Import street and community outlines"),
            "template_url": "core:outline_export",
            "back_url": "core:position_map",
            "intro": _(
                "A GeoJSON FeatureCollection: one Feature per region, its region code in "
                "properties.code and a Polygon or MultiPolygon in longitude and latitude. "
                "The template is the outlines the map shows now, schematic ones included."
            ),
        },
        status=status,
    )


@access(Perm.POSITION_VIEW)
def outline_export(request: HttpRequest) -> HttpResponse:
    """The outlines the map shows at a level, as GeoJSON in the import's format."""
    level = MAP_LEVELS.get(request.GET.get("level", ""), MAP_LEVELS["street"])
    areas = boundaries.map_areas(request.user, level=level)
    body = json.dumps(boundaries.outlines_geojson(areas), ensure_ascii=False)
    response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    name = f"outlines-{timezone.localdate():%Y%m%d}.geojson"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
