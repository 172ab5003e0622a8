"""Imported outlines of regions (streets and communities) for the position map."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridlight.core.models.regions import Region


class RegionBoundary(models.Model):
    """A region's outline as a GeoJSON ``Polygon`` or ``MultiPolygon`` (longitude, latitude in
    the same coordinate system as the positions). Imported from a GeoJSON file by region code;
    where a region has none, the map draws a schematic outline from its positions instead."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="boundary")
    # Denormalised from region.path so that scope filters never join up the tree.
    region_path = models.CharField(max_length=255, db_index=True)
    geometry = models.JSONField(_("outline"))
    source = models.CharField(_("source file"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region_path"]
        verbose_name = _("region outline")
        verbose_name_plural = _("region outlines")

    def __str__(self) -> str:
        return str(self.region)
