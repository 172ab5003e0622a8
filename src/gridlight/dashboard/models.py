"""The cockpit's pre-aggregated figures (大屏): one tile per region (the district and each
street) and section, refreshed from the records by ``dashboard.refresh`` (a background job, a
command and a schedule), so that serving the whole cockpit reads a handful of rows whatever the
size of the data. A tile keeps the counts a figure is computed from (its provenance) and when
they were read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridlight.core.models import Region


class Section(models.TextChoices):
    HOUSEHOLDS = "households", _("Households by light")
    TICKETS = "tickets", _("Tickets")
    TALENT = "talent", _("Talents and enterprises")
    PROJECTS = "projects", _("Key projects")
    INDICATORS = "indicators", _("Indicators")
    MAP = "map", _("Map")
    EVALUATION = "evaluation", _("Street evaluation")
    POLICIES = "policies", _("Policies")


class CockpitTile(models.Model):
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    region_path = models.CharField(max_length=255)
    section = models.CharField(max_length=12, choices=Section.choices)
    data = models.JSONField(default=dict)
    # When the records were read (every refresh); the version moves only when the data changes.
    computed_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["region_path", "section"]
        verbose_name = _("cockpit tile")
        verbose_name_plural = _("cockpit tiles")
        constraints = [
            models.UniqueConstraint(fields=["region", "section"], name="cockpit_tile_one"),
        ]

    def __str__(self) -> str:
        return f"{self.region_path} {self.section}"
