"""The position map: positions over the outlines of streets, communities or grids, and the import
of real outlines (GeoJSON) that replace the schematic ones."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridlight.core import boundaries
from gridlight.core.access import Perm, SignedInRequest, access, require, scope_for
from gridlight.core.forms import MAP_LEVELS, MapFilterForm, OutlineUploadForm
from gridlight.core.models import PositionKind, Region, User
from gridlight.core.selectors import region_by_code
from gridlight.core.views.imports import ImportPage, import_page
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
def position_map(request: SignedInRequest) -> HttpResponse:
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


def _import_outlines(user: User, upload: UploadedFile) -> str:
    result = boundaries.import_boundaries(actor=user, upload=upload, filename=upload.name or "")
    return _("Import finished: %(c)s created, %(u)s updated, %(n)s unchanged.") % {
        "c": result.created,
        "u": result.updated,
        "n": result.unchanged,
    }


OUTLINE_IMPORT = ImportPage(
    key="outlines",
    title=gettext_lazy("Import street and community outlines"),
    template_url="core:outline_export",
    done_url="core:position_map",
    run=_import_outlines,
    intro=gettext_lazy(
        "A GeoJSON FeatureCollection: one Feature per region, its region code in "
        "properties.code and a Polygon or MultiPolygon in longitude and latitude. "
        "The template is the outlines the map shows now, schematic ones included."
    ),
    form=OutlineUploadForm,
)


@access(Perm.REGION_CHANGE)
def outline_import(request: SignedInRequest) -> HttpResponse:
    return import_page(request, OUTLINE_IMPORT)


@access(Perm.POSITION_VIEW)
def outline_export(request: SignedInRequest) -> HttpResponse:
    """The outlines the map shows at a level, as GeoJSON in the import's format."""
    level = MAP_LEVELS.get(request.GET.get("level", ""), MAP_LEVELS["street"])
    areas = boundaries.map_areas(request.user, level=level)
    body = json.dumps(boundaries.outlines_geojson(areas), ensure_ascii=False)
    response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    name = f"outlines-{timezone.localdate():%Y%m%d}.geojson"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
