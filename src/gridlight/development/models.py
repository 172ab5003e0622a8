"""Key projects (重点项目) with milestones, monthly progress reports, lights and snapshots; and the
district's indicators after DHIS2: data elements, values per period and region, annual targets
and indicators defined as formulas over data elements.

Money is integer fen (分); quantities are decimals in the unit their milestone names. A project
belongs to a street (``region_path``, for scope) and to the unit responsible for it (a tickets
``Unit``: a department or a street office), whose members report its progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridlight.core.industries import Industry
from gridlight.core.models import Region
from gridlight.tickets.models import Ticket, Unit


class Zone(models.TextChoices):
    """The three strategies' zones (三大战略)."""

    NONE = "", _("None")
    VITALITY = "vitality", _("Central Vitality Zone")
    PORT = "port", _("Central Commercial Port Zone")
    ENERGY_CLUSTER = "energy_cluster", _("Energy Internet Industry Cluster")


class ProjectKind(models.TextChoices):
    GENERAL = "general", _("Construction project")
    DEMOLITION = "demolition", _("Demolition task")
    LAND = "land", _("Land parcel")
    ROAD = "road", _("Road project")


class LandUse(models.TextChoices):
    NONE = "", _("None")
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    INDUSTRIAL = "industrial", _("Industrial")


class Stage(models.TextChoices):
    SIGNED = "signed", _("Signed")
    STARTED = "started", _("Started")
    BUILDING = "building", _("Under construction")
    COMPLETED = "completed", _("Completed")
    OPERATING = "operating", _("In operation")


STAGE_ORDER = [s.value for s in Stage]


class Light(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class QuantityUnit(models.TextChoices):
    """What a milestone's quantity is counted in. A report line must use its milestone's."""

    YUAN = "yuan", _("yuan")
    M2 = "m2", _("m²")
    MU = "mu", _("mu")
    KM = "km", _("km")
    ITEM = "item", _("items")
    PERCENT = "percent", _("% of works")


# The unit a kind of project is usually measured in (the milestone form's first choice): land
# parcels in mu supplied, roads in km built, demolition tasks in m² demolished.
KIND_UNIT: dict[str, str] = {
    ProjectKind.GENERAL: QuantityUnit.YUAN,
    ProjectKind.DEMOLITION: QuantityUnit.M2,
    ProjectKind.LAND: QuantityUnit.MU,
    ProjectKind.ROAD: QuantityUnit.KM,
}


class Project(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    kind = models.CharField(
        _("kind"), max_length=12, choices=ProjectKind.choices, default=ProjectKind.GENERAL
    )
    industry = models.CharField(_("industry"), max_length=12, choices=Industry.choices)
    zone = models.CharField(
        _("strategy zone"), max_length=16, choices=Zone.choices, blank=True, default=""
    )
    land_use = models.CharField(
        _("land use"), max_length=12, choices=LandUse.choices, blank=True, default=""
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("street")
    )
    region_path = models.CharField(max_length=255, db_index=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible unit")
    )
    person = models.CharField(_("responsible person"), max_length=60, blank=True)
    total_investment_fen = models.BigIntegerField(_("total investment (fen)"))
    annual_investment_fen = models.BigIntegerField(_("annual planned investment (fen)"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.SIGNED)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    planned_start = models.DateField(_("planned start"))
    started_on = models.DateField(_("started on"), null=True, blank=True)
    planned_end = models.DateField(_("planned completion"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    operating_on = models.DateField(_("in operation since"), null=True, blank=True)
    # 入统: registered in the statistics system's project database (固定资产投资入库)
    registration_due = models.DateField(_("statistical registration due"), null=True, blank=True)
    registered_on = models.DateField(_("statistically registered on"), null=True, blank=True)
    supplied_on = models.DateField(_("land supplied on"), null=True, blank=True)
    # Computed by lights.assess from the approved reports (never typed in).
    actual_pct = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    planned_pct = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    light = models.CharField(
        _("light"), max_length=6, choices=Light.choices, blank=True, default="", db_index=True
    )
    reasons = models.JSONField(default=list, blank=True)
    assessed_on = models.DateField(null=True, blank=True)
    supervision = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")
        indexes = [models.Index(fields=["year", "industry", "stage"], name="devproject_year_ind")]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("name"), max_length=120)
    quantity_unit = models.CharField(_("unit"), max_length=8, choices=QuantityUnit.choices)
    planned_quantity = models.DecimalField(_("planned quantity"), max_digits=18, decimal_places=2)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    sort_order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["project", "sort_order", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.name


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class ProgressReport(models.Model):
    """One project's report for one month (月报): entered by the responsible unit, approved by
    the district. Quantities in its lines are the month's own, not running totals."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    month = models.DateField(_("month"))  # first day of the month reported on
    region_path = models.CharField(max_length=255)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    investment_fen = models.BigIntegerField(_("investment this month (fen)"))
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["project", "-month"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="devreport_one_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.month:%Y-%m}"


class ReportLine(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="lines")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="lines")
    quantity = models.DecimalField(_("quantity this month"), max_digits=18, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "milestone"], name="devline_one_per_milestone"
            )
        ]

    def __str__(self) -> str:
        return f"{self.milestone_id}: {self.quantity}"


class LightPolicy(models.Model):
    """The thresholds of the project lights (one row, ``code='default'``). Defaults follow
    Yinchuan's 2025 rules: yellow 10–30 points behind the time-proportional plan (序时进度), red
    beyond 30; late start and late statistical registration are flagged too."""

    code = models.SlugField(max_length=20, unique=True, default="default")
    yellow_behind = models.DecimalField(
        _("yellow from (points behind)"), max_digits=5, decimal_places=1, default=10
    )
    red_behind = models.DecimalField(
        _("red beyond (points behind)"), max_digits=5, decimal_places=1, default=30
    )
    late_start_red_days = models.PositiveSmallIntegerField(
        _("late start turns red after (days)"), default=90
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("light thresholds")
        verbose_name_plural = _("light thresholds")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class ProjectSnapshot(models.Model):
    """A project's progress and light as assessed at the end of a month (kept for history)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    month = models.DateField()
    region_path = models.CharField(max_length=255)
    stage = models.CharField(max_length=12, choices=Stage.choices)
    actual_pct = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    planned_pct = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    light = models.CharField(max_length=6, choices=Light.choices)
    reasons = models.JSONField(default=list)
    investment_fen = models.BigIntegerField(default=0)  # approved, cumulative to this month

    class Meta:
        ordering = ["project", "month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="devsnapshot_one_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m} {self.light}"


# --- indicators -------------------------------------------------------------------------------


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    LAST = "last", _("Last value")
    AVERAGE = "average", _("Average")


class PeriodType(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")
    YEAR = "year", _("Yearly")


class DataElement(models.Model):
    """What is measured (GDP, value added by industry, 5G base stations, …) and how periods of
    it add up: flows are summed, stocks take the last value, rates are averaged."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    unit = models.CharField(_("unit"), max_length=20)
    aggregation = models.CharField(_("aggregation"), max_length=8, choices=Aggregation.choices)
    period_type = models.CharField(_("period type"), max_length=8, choices=PeriodType.choices)
    industry = models.CharField(
        _("industry"), max_length=12, choices=Industry.choices, blank=True, default=""
    )
    # One of the parts GDP is made of (value added of an industry): its pull is computed.
    gdp_part = models.BooleanField(_("part of GDP"), default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")

    def __str__(self) -> str:
        return self.name


class ValueStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting approval")
    APPROVED = "approved", _("Approved")


class DataValue(models.Model):
    """One element's value for one period (its first day) in one region. Only approved values
    count in figures; a period without a value is missing, never zero."""

    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="values")
    period = models.DateField(_("period"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    status = models.CharField(
        _("status"), max_length=10, choices=ValueStatus.choices, default=ValueStatus.SUBMITTED
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["element", "region_path", "period"]
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [
            models.UniqueConstraint(
                fields=["element", "region", "period"], name="devvalue_one_per_period"
            )
        ]
        indexes = [models.Index(fields=["region_path", "element", "period"], name="devvalue_path")]

    def __str__(self) -> str:
        return f"{self.element_id} {self.period} {self.value}"


class Target(models.Model):
    """An element's annual target for a region; periods get it pro-rated (DHIS2)."""

    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    value = models.DecimalField(_("annual target"), max_digits=20, decimal_places=4)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["element", "region", "year"], name="devtarget_one")
        ]

    def __str__(self) -> str:
        return f"{self.element_id} {self.year} {self.value}"


class FormulaKind(models.TextChoices):
    RATIO = "ratio", _("Numerator ÷ denominator × factor")
    YOY = "yoy", _("Growth on the same period last year (%)")
    YTD = "ytd", _("Year to date")
    CITY_GAP = "city_gap", _("Growth above the city's (points)")


class Indicator(models.Model):
    """A figure computed from data elements (never typed in)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("formula"), max_length=10, choices=FormulaKind.choices)
    numerator = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="+")
    denominator = models.ForeignKey(
        DataElement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    factor = models.DecimalField(_("factor"), max_digits=12, decimal_places=4, default=1)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name
