"""The street evaluation cycle (街道质效评估): 一街一品, the year's events, judged rounds, the
half-year assessment, the annual ranking, the community echelon, cadres (经纬雁阵) and service
position standards (红色家园).

Every record carries the materialised path of the region it belongs to (``region_path``): the
district for what concerns all streets (a year, an event, a round), the street or community for
what is its own (a brand, a score sheet's entrant, an action item), so the scope layer filters
without joining up the tree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridlight.core.models import Region, ServicePosition


class CycleYear(models.Model):
    """A district's evaluation year: the year plan from which the events are generated, and the
    weights of the annual ranking and the thresholds of the community echelon."""

    district = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    # {"arenas": 40, "assessment": 30, "observation": 30}: percentages, summing to 100.
    ranking_weights = models.JSONField(_("ranking weights"), default=dict)
    # {"leading": 85, "advanced": 75}: a community at or above a threshold is in that tier.
    echelon_thresholds = models.JSONField(_("echelon thresholds"), default=dict)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("evaluation year")
        verbose_name_plural = _("evaluation years")
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="eval_year_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.year}"


class FocusArea(models.TextChoices):
    POSITIONS = "positions", _("Upgrading service positions")
    RED_PROPERTY = "red_property", _("Red property management")
    BLOCKS = "blocks", _("Party building in characteristic blocks")
    NEW_FORMS = "new_forms", _("New business forms and new employment groups")
    OTHER = "other", _("Other")


class StreetBrand(models.Model):
    """一街一品: a street's key project (攻坚项目) and brand (品牌) for one year."""

    cycle = models.ForeignKey(CycleYear, on_delete=models.CASCADE, related_name="brands")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    project = models.CharField(_("key project"), max_length=120)
    brand = models.CharField(_("brand"), max_length=60)
    focus_area = models.CharField(_("focus area"), max_length=20, choices=FocusArea.choices)
    goals = models.TextField(_("goals"), blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region_path"]
        verbose_name = _("street brand")
        verbose_name_plural = _("street brands")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "street"], name="eval_brand_one_per_street"),
        ]

    def __str__(self) -> str:
        return self.brand


class Milestone(models.Model):
    brand = models.ForeignKey(StreetBrand, on_delete=models.CASCADE, related_name="milestones")
    region_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(_("title"), max_length=120)
    planned_on = models.DateField(_("planned date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # Progress is the weighted share of milestones done (selectors.brand_progress).
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    sort_order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["brand", "planned_on", "sort_order", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    DOCUMENT = "document", _("Document")


class Evidence(models.Model):
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="evidence")
    region_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    title = models.CharField(_("title"), max_length=120)
    # Kept in the database like tickets' attachments (one backup holds everything).
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["milestone", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.title


class StreetTask(models.Model):
    """A street's quality-and-efficiency evaluation task (街道质效评估任务) with its weight."""

    cycle = models.ForeignKey(CycleYear, on_delete=models.CASCADE, related_name="tasks")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(_("title"), max_length=120)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["region_path", "pk"]
        verbose_name = _("evaluation task")
        verbose_name_plural = _("evaluation tasks")

    def __str__(self) -> str:
        return self.title


class EventKind(models.TextChoices):
    MEETING = "meeting", _("Monthly meeting")
    ARENA = "arena", _("Quarterly arena")
    ASSESSMENT = "assessment", _("Half-year assessment")
    OBSERVATION = "observation", _("Year-end observation")


class Event(models.Model):
    """One event of the year's cycle, generated by the year plan (services.cycle_plan)."""

    cycle = models.ForeignKey(CycleYear, on_delete=models.CASCADE, related_name="events")
    region_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    # The month (1–12) of a meeting, the quarter (1–4) of an arena, 1 for the others.
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=120)
    held_on = models.DateField(_("date"))
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["cycle", "held_on", "kind", "number"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "kind", "number"], name="eval_event_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    EXCUSED = "excused", _("Excused")
    ABSENT = "absent", _("Absent")


class Attendance(models.Model):
    """Whether a street attended a meeting (its representative by name)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendance")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(_("attendance"), max_length=8, choices=AttendanceStatus.choices)
    attendee = models.CharField(_("attendee"), max_length=60, blank=True)

    class Meta:
        ordering = ["event", "region_path"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["event", "street"], name="eval_attendance_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.street}"


class ActionItem(models.Model):
    """A meeting's action item for a street: an owner, a due date counted in working days, done
    or not; an overdue item may be raised as a ticket (services.action_item_escalate)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="action_items")
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    owner_name = models.CharField(_("owner"), max_length=60, blank=True)
    workdays = models.PositiveSmallIntegerField(_("working days"))
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [models.Index(fields=["region_path", "due_on"], name="eval_action_due")]

    def __str__(self) -> str:
        return self.title


class RoundKind(models.TextChoices):
    ARENA = "arena", _("Quarterly arena")
    OBSERVATION = "observation", _("Year-end observation")


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open for scoring")
    CLOSED = "closed", _("Closed")
    PUBLISHED = "published", _("Published")


class Round(models.Model):
    """A judged round: an arena of the streets or an observation (of streets or communities).

    Sheets are sealed (only their judge sees them) until the round closes; closing computes the
    results (scoring.py) and stores them; publishing shows them, sheets included, to the streets.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rounds")
    region_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=RoundKind.choices)
    # The level of the entrants: streets (1) or communities (2).
    level = models.PositiveSmallIntegerField(_("entrants' level"), default=1)
    title = models.CharField(_("title"), max_length=120)
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    # The trimming rule: drop ``trim`` highest and lowest when at least ``trim_min`` judges scored.
    trim = models.PositiveSmallIntegerField(_("scores dropped at each end"), default=1)
    trim_min = models.PositiveSmallIntegerField(_("judges needed to drop"), default=5)
    # A sheet is flagged when it lies this many (floored) standard deviations from the others.
    deviation_z = models.DecimalField(
        _("deviation flag (z)"), max_digits=4, decimal_places=2, default=Decimal("2.50")
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["event__held_on", "pk"]
        verbose_name = _("judged round")
        verbose_name_plural = _("judged rounds")

    def __str__(self) -> str:
        return self.title


class Criterion(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=80)
    # Percentages of the total, summing to 100 over the round's criteria.
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    min_score = models.DecimalField(_("lowest score"), max_digits=7, decimal_places=2, default=0)
    max_score = models.DecimalField(_("highest score"), max_digits=7, decimal_places=2)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["round", "sort_order", "pk"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="eval_criterion_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Entrant(models.Model):
    """A street (or community) competing in a round, in presentation order."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="entrants")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # Filled when the round closes (scoring.tabulate): the result and how it came about.
    total = models.DecimalField(_("total"), max_digits=9, decimal_places=4, null=True)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True)
    breakdown = models.JSONField(default=dict)

    class Meta:
        ordering = ["round", "order", "pk"]
        verbose_name = _("entrant")
        verbose_name_plural = _("entrants")
        constraints = [
            models.UniqueConstraint(fields=["round", "region"], name="eval_entrant_unique"),
        ]

    def __str__(self) -> str:
        return str(self.region)


class Judge(models.Model):
    """A judge on a round's panel; ``home_paths`` are the streets their assignments place them
    in when appointed (they are recused from those automatically)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="judges")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    home_paths = models.JSONField(default=list)
    # Filled at close: the judge's z-scores, leniency and whether leaving them out changes ranks.
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["round", "pk"]
        verbose_name = _("judge")
        verbose_name_plural = _("judges")
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="eval_judge_unique"),
        ]

    def __str__(self) -> str:
        return str(self.user)


class RecusalKind(models.TextChoices):
    AUTOMATIC = "auto", _("Own street")
    DECLARED = "declared", _("Declared conflict")


class Recusal(models.Model):
    judge = models.ForeignKey(Judge, on_delete=models.CASCADE, related_name="recusals")
    entrant = models.ForeignKey(Entrant, on_delete=models.CASCADE, related_name="recusals")
    kind = models.CharField(_("kind"), max_length=8, choices=RecusalKind.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [
            models.UniqueConstraint(fields=["judge", "entrant"], name="eval_recusal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.judge} ✕ {self.entrant}"


class SheetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed and sealed")


class Sheet(models.Model):
    """One judge's score sheet for one entrant: a draft the judge may change, then confirmed,
    which seals it. One per judge and entrant, by construction."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="sheets")
    judge = models.ForeignKey(Judge, on_delete=models.PROTECT, related_name="sheets")
    entrant = models.ForeignKey(Entrant, on_delete=models.PROTECT, related_name="sheets")
    region_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SheetStatus.choices, default=SheetStatus.DRAFT
    )
    # {criterion id (text): score (text, a decimal)}
    scores = models.JSONField(_("scores"), default=dict)
    note = models.CharField(_("note"), max_length=200, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Set when the round's secretary imported the judge's paper sheet on their behalf.
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round", "entrant", "judge"]
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        constraints = [
            models.UniqueConstraint(fields=["judge", "entrant"], name="eval_sheet_one_per_judge"),
        ]

    def __str__(self) -> str:
        return f"{self.judge} · {self.entrant}"


class SiteVisit(models.Model):
    """A stop of the year-end observation's route: where, when, and who observes."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="site_visits")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    position = models.ForeignKey(
        ServicePosition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("stop"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    observers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)

    class Meta:
        ordering = ["event", "order"]
        verbose_name = _("site visit")
        verbose_name_plural = _("site visits")
        constraints = [
            models.UniqueConstraint(fields=["event", "order"], name="eval_site_visit_order"),
        ]

    def __str__(self) -> str:
        return str(self.region)


# The half-year assessment's indicators, by code (computed in assessment.py; weights name them).
INDICATORS: dict[str, Any] = {
    "visit_coverage": _("Household visit coverage (30 days)"),
    "visits_on_time": _("Household visits not overdue"),
    "ticket_on_time": _("Tickets handled on time"),
    "ticket_resolution": _("Tickets resolved"),
    "ticket_satisfaction": _("Requesters satisfied"),
    "brand_progress": _("One street, one brand: milestones done"),
    "arena": _("Quarterly arena results"),
    "attendance": _("Monthly meeting attendance"),
    "actions_done": _("Action items done on time"),
}


class Assessment(models.Model):
    """The half-year assessment: indicators read from the platform's live records, weighted."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="assessment")
    region_path = models.CharField(max_length=255, db_index=True)
    # {indicator code: percentage}, summing to 100 (assessment.INDICATORS names the codes).
    weights = models.JSONField(_("weights"), default=dict)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    computed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("half-year assessment")
        verbose_name_plural = _("half-year assessments")

    def __str__(self) -> str:
        return str(self.event)


class AssessmentScore(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    total = models.DecimalField(_("total"), max_digits=9, decimal_places=4)
    rank = models.PositiveSmallIntegerField(_("rank"))
    # [{"code", "value", "numerator", "denominator", "source"}] per indicator.
    breakdown = models.JSONField(default=list)

    class Meta:
        ordering = ["assessment", "rank"]
        verbose_name = _("assessment score")
        verbose_name_plural = _("assessment scores")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "region"], name="eval_assessment_score_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region}: {self.total}"


class Standing(models.Model):
    """A computed annual standing: a street's place in the annual ranking, or a community's
    tier in the echelon (领跑/先进/跟进)."""

    class Tier(models.TextChoices):
        LEADING = "leading", _("Leading")
        ADVANCED = "advanced", _("Advanced")
        FOLLOWING = "following", _("Following")

    cycle = models.ForeignKey(CycleYear, on_delete=models.CASCADE, related_name="standings")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    level = models.PositiveSmallIntegerField()
    total = models.DecimalField(_("total"), max_digits=9, decimal_places=4)
    rank = models.PositiveSmallIntegerField(_("rank"))
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True)
    breakdown = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cycle", "level", "rank"]
        verbose_name = _("standing")
        verbose_name_plural = _("standings")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "region"], name="eval_standing_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.region}: {self.rank}"


class Measure(models.Model):
    """One of the 13 measures of the "经纬雁阵" cadre plan."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    # Whether taking part records a unit and dates (挂职实训) or hours (training).
    records_posting = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]
        verbose_name = _("cadre measure")
        verbose_name_plural = _("cadre measures")

    def __str__(self) -> str:
        return self.name


class CadreKind(models.TextChoices):
    COMMUNITY = "community", _("Community cadre")
    VILLAGE = "village", _("Village cadre")


class Cadre(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CadreKind.choices)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    post = models.CharField(_("post"), max_length=60)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["region_path", "name"]
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")

    def __str__(self) -> str:
        return self.name


class Participation(models.Model):
    """A cadre's part in a measure: an arena appearance (with its round), a temporary posting
    (unit and dates) or training hours."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="participations")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    round = models.ForeignKey(
        Round, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.CharField(_("unit"), max_length=120, blank=True)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["cadre", "-started_on", "pk"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")

    def __str__(self) -> str:
        return f"{self.cadre} · {self.measure}"


class StandardItem(models.Model):
    """One item of the 红色家园 standards checklist for service positions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    # The position kind it applies to; blank: every kind.
    position_kind = models.CharField(_("position kind"), max_length=32, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")

    def __str__(self) -> str:
        return self.title


class Inspection(models.Model):
    position = models.ForeignKey(ServicePosition, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    inspected_on = models.DateField(_("inspected on"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-inspected_on", "-pk"]
        verbose_name = _("position inspection")
        verbose_name_plural = _("position inspections")

    def __str__(self) -> str:
        return f"{self.position} · {self.inspected_on}"


class Rectification(models.Model):
    """A failed standard item found by an inspection, to be fixed by its deadline. A position is
    up to standard when its latest inspection has no rectification left open."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="rectifications"
    )
    item = models.ForeignKey(StandardItem, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True)
    deadline = models.DateField(_("deadline"))
    fixed_on = models.DateField(_("fixed on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="eval_rectify_unique"),
        ]

    def __str__(self) -> str:
        return str(self.item)
