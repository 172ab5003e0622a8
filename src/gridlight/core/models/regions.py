"""The region tree (district → street/town → community/village → grid) and service positions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

SEGMENT_WIDTH = 4


def subtree(field: str, path: str, *, include_self: bool = True) -> models.Q:
    """Rows whose materialised path ``field`` lies in the subtree rooted at ``path``.

    Written as a range, not ``LIKE 'path%'``: paths hold only digits and dots, so everything that
    starts with ``path`` sorts between ``path`` and ``path + ":"`` (":" follows "9" and "."). A
    range is served by the plain B-tree index on SQLite and PostgreSQL alike, whereas SQLite's
    case-insensitive LIKE cannot use an index at all.
    """
    low = path if include_self else path + "."
    return models.Q(**{f"{field}__gte": low, f"{field}__lt": path + ":"})


class RegionLevel(models.IntegerChoices):
    """Depth in the tree; the kind says which of the two names a level has (street or town, …)."""

    DISTRICT = 0, _("District")
    STREET = 1, _("Street / town")
    COMMUNITY = 2, _("Community / village")
    GRID = 3, _("Grid")


class RegionKind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    TOWN = "town", _("Town")
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")
    GRID = "grid", _("Grid")


KIND_LEVEL: dict[str, int] = {
    RegionKind.DISTRICT: RegionLevel.DISTRICT,
    RegionKind.STREET: RegionLevel.STREET,
    RegionKind.TOWN: RegionLevel.STREET,
    RegionKind.COMMUNITY: RegionLevel.COMMUNITY,
    RegionKind.VILLAGE: RegionLevel.COMMUNITY,
    RegionKind.GRID: RegionLevel.GRID,
}

LEVEL_SLUGS: dict[str, int] = {
    "district": RegionLevel.DISTRICT,
    "street": RegionLevel.STREET,
    "community": RegionLevel.COMMUNITY,
    "grid": RegionLevel.GRID,
}


class Region(models.Model):
    """A node of the region tree.

    ``path`` is a materialised path of fixed-width segments (``0001.0003.0012``), so "everything
    under this node" is one indexed prefix filter on SQLite and PostgreSQL alike, and a prefix can
    never match a sibling: segments are fixed width, so ``0001.0003`` cannot prefix ``0001.00031``.
    """

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RegionKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    path = models.CharField(max_length=255, unique=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_unique_name_in_parent"),
        ]
        indexes = [models.Index(fields=["level", "path"], name="region_level_path")]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count(".")

    def ancestor_paths(self) -> list[str]:
        """Paths of this node's ancestors, root first, not including the node itself."""
        parts = self.path.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts))]


class PositionKind(models.TextChoices):
    PARTY_MASS_CENTRE = "party_mass_centre", _("Party-mass service centre")
    GRID_STATION = "grid_station", _("Grid station")
    WARM_HEART_STATION = "warm_heart_station", _("Warm-heart station")
    CULTURE_SQUARE = "culture_square", _("Culture square")


class ServicePosition(models.Model):
    """A service position (阵地): where people are served, placed in the region tree."""

    kind = models.CharField(_("kind"), max_length=32, choices=PositionKind.choices)
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="positions")
    # Denormalised from region.path so that scope filters never join up the tree.
    region_path = models.CharField(max_length=255, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    services = models.JSONField(_("services"), default=list, blank=True)
    phone = models.CharField(_("service phone"), max_length=30, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region_path", "kind", "name"]
        verbose_name = _("service position")
        verbose_name_plural = _("service positions")
        indexes = [models.Index(fields=["kind", "region_path"], name="position_kind_path")]

    def __str__(self) -> str:
        return self.name
