"""Households, residents, their attributes, the traffic light and its history, visits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridlight.core.models import Region
from gridlight.rules.models import RuleSetVersion


class Light(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")


class AttributeScope(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    HOUSEHOLD = "household", _("Household")


class Attribute(models.Model):
    """An entry of the attribute catalogue (living alone, 低保, disability …). Staff may add
    their own; the code never changes once used, since rules name it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    applies_to = models.CharField(
        _("applies to"),
        max_length=12,
        choices=AttributeScope.choices,
        default=AttributeScope.RESIDENT,
    )
    graded = models.BooleanField(_("graded"), default=False)
    builtin = models.BooleanField(default=False)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")

    def __str__(self) -> str:
        return self.name


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MOVED_OUT = "moved_out", _("Moved out")
    DISSOLVED = "dissolved", _("Dissolved")


class Household(models.Model):
    code = models.CharField(_("household number"), max_length=40, unique=True)
    grid = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="households", db_index=False
    )
    region_path = models.CharField(max_length=255)
    address = models.CharField(_("address"), max_length=200)
    status = models.CharField(
        _("status"), max_length=12, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE
    )
    registered_on = models.DateField(_("registered on"))
    # The light in force: the computed one, unless a manual override is current.
    light = models.CharField(_("light"), max_length=8, choices=Light.choices, default=Light.GREEN)
    computed_light = models.CharField(max_length=8, choices=Light.choices, default=Light.GREEN)
    light_reasons = models.CharField(max_length=500, blank=True)
    # Never searched by, so not indexed: every index is rewritten when a recompute rewrites a row.
    light_version = models.ForeignKey(
        RuleSetVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    light_at = models.DateTimeField(null=True, blank=True)
    override_light = models.CharField(max_length=8, choices=Light.choices, blank=True)
    override_reason = models.CharField(_("override reason"), max_length=200, blank=True)
    override_until = models.DateField(_("override until"), null=True, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True)
    next_visit_due = models.DateField(_("next visit due"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region_path", "code"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [
            models.Index(fields=["region_path", "code"], name="household_path"),
            models.Index(fields=["light", "region_path"], name="household_light_path"),
            models.Index(fields=["next_visit_due", "region_path"], name="household_due"),
            # The light dashboard's counts per grid and light, read from the index alone; it
            # also serves the grid's foreign key, which has no index of its own (every index
            # takes a new entry for each row a district's recompute rewrites on PostgreSQL).
            models.Index(
                fields=["grid", "light", "next_visit_due", "last_visit_on", "status"],
                name="household_tally",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.address}"

    @property
    def reasons(self) -> list[str]:
        """Codes of every rule that fired at the last classification, in rule order."""
        return [c for c in self.light_reasons.split(",") if c]


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    OTHER = "other", _("Other")


class ResidentStatus(models.TextChoices):
    PRESENT = "present", _("Living here")
    DECEASED = "deceased", _("Deceased")
    MOVED_OUT = "moved_out", _("Moved out")


class Resident(models.Model):
    # No index of its own: ``resident_household`` begins with it (each index is one more entry
    # for every resident a district import writes).
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residents", db_index=False
    )
    region_path = models.CharField(max_length=255, db_index=True)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    # ID-card and phone numbers: encrypted at rest, found through a keyed hash (blind index).
    id_number_enc = models.TextField(blank=True)
    id_number_index = models.CharField(max_length=32, null=True, blank=True, unique=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    phone_enc = models.TextField(blank=True)
    phone_index = models.CharField(max_length=32, blank=True, db_index=True)
    relation = models.CharField(
        _("relation"), max_length=12, choices=Relation.choices, default=Relation.OTHER
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ResidentStatus.choices, default=ResidentStatus.PRESENT
    )
    status_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["household", "id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [
            models.Index(fields=["household", "status"], name="resident_household"),
            models.Index(fields=["name"], name="resident_name"),
        ]

    def __str__(self) -> str:
        return self.name


class AttributeValue(models.Model):
    """An attribute held by a resident (``resident`` set) or by the household itself."""

    # The foreign keys have no indexes of their own: ``attrvalue_household``,
    # ``attrvalue_attribute`` and ``attrvalue_unique_resident`` begin with them (the last holds
    # every row with a resident, the only ones a look-up by resident can find).
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    resident = models.ForeignKey(
        Resident,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attributes",
        db_index=False,
    )
    attribute = models.ForeignKey(
        Attribute, to_field="code", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    grade = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")
        indexes = [
            models.Index(fields=["household", "attribute"], name="attrvalue_household"),
            models.Index(fields=["attribute", "household"], name="attrvalue_attribute"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["resident", "attribute"],
                condition=models.Q(resident__isnull=False),
                name="attrvalue_unique_resident",
            ),
            models.UniqueConstraint(
                fields=["household", "attribute"],
                condition=models.Q(resident__isnull=True),
                name="attrvalue_unique_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_id}"


class LightChange(models.Model):
    """One change of a household's light: from, to, why, which rule version, by whom.

    The household and the rule version are foreign keys without a database constraint: rows
    are written only by ``classify`` from households and versions it has just read, households
    are never deleted (they dissolve or move out) and a published version is immutable, its
    deletion refused by Django (PROTECT). A constraint would be checked row by row at commit:
    after a district's first classification, 300,000 lookups and row locks that cost
    PostgreSQL twice as much as writing the rows themselves."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="light_changes", db_constraint=False
    )
    # Read per household (its page) and, for real changes only, by time and region (the
    # weekly chart, through ``lightchange_moves``): no index of their own, which every row of
    # a district's first classification would have to enter.
    region_path = models.CharField(max_length=255)
    at = models.DateTimeField()
    from_light = models.CharField(max_length=8, blank=True)
    to_light = models.CharField(max_length=8)
    reasons = models.CharField(max_length=500, blank=True)
    # History is read per household, by region and by time; not by version or actor.
    rule_version = models.ForeignKey(
        RuleSetVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    cause = models.CharField(max_length=20)  # data-change | recompute | override | override-end
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # Real changes only (a first light is not one), for the weekly change chart: a
            # district's first classification adds 300,000 rows the chart must never read.
            # ``from_light`` is there for SQLite, which reads a partial index alone only if it
            # holds the condition's column.
            models.Index(
                fields=["at", "region_path", "to_light", "from_light"],
                name="lightchange_moves",
                condition=models.Q(from_light__gt=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_light or '-'} → {self.to_light}"


class ServicePackage(models.Model):
    """What a light brings: how often the household is visited and which services it gets."""

    light = models.CharField(_("light"), max_length=8, choices=Light.choices, unique=True)
    visit_interval_days = models.PositiveIntegerField(_("visit every (days)"))
    items = models.JSONField(_("service items"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.get_light_display()


class VisitMethod(models.TextChoices):
    HOME = "home", _("Home visit")
    PHONE = "phone", _("Phone call")
    MESSAGE = "message", _("Message")


class Visit(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="visits")
    region_path = models.CharField(max_length=255)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    visited_on = models.DateField(_("visited on"))
    method = models.CharField(_("method"), max_length=10, choices=VisitMethod.choices)
    notes = models.TextField(_("notes"), blank=True)
    problems = models.TextField(_("problems found"), blank=True)
    light_at_visit = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["region_path", "visited_on"], name="visit_path_day")]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.get_method_display()}"
