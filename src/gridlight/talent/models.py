"""The talent service desk: enterprises with their tags and R&D platforms, talents with their
families, one-to-one commissioners, the contact cadence, the service log and talent problems.

Unknown is kept apart from no: a fact nobody has entered is blank or null (the policies app
reads it as "unknown", never as "not eligible"), so choices carry no default that would claim
a fact.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridlight.core.industries import Industry
from gridlight.core.models import Region


class Enterprise(models.Model):
    name = models.CharField(_("enterprise name"), max_length=120)
    # 统一社会信用代码, GB 32100-2015: 18 characters, the last a check character.
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    industry = models.CharField(_("industry"), max_length=12, choices=Industry.choices)
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Null: not known (never 0).
    headcount = models.PositiveIntegerField(_("headcount"), null=True, blank=True)
    # Last year's revenue in yuan, and the year it is for.
    revenue_yuan = models.BigIntegerField(_("revenue (yuan)"), null=True, blank=True)
    revenue_year = models.PositiveSmallIntegerField(_("revenue year"), null=True, blank=True)
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commissioner"),
    )
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    next_contact_due = models.DateField(_("next contact due"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region_path", "name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [
            models.Index(fields=["region_path", "name"], name="enterprise_path"),
            models.Index(fields=["industry", "region_path"], name="enterprise_industry"),
            models.Index(fields=["commissioner", "next_contact_due"], name="enterprise_caseload"),
        ]

    def __str__(self) -> str:
        return self.name


class TagKind(models.TextChoices):
    KEY_INTRODUCED = "key_introduced", _("Key enterprise brought in")
    SRDI = "srdi", _("Specialised and innovative (专精特新)")
    LISTING_RESERVE = "listing_reserve", _("Listing reserve")


class TagLevel(models.TextChoices):
    """The level of a 专精特新 recognition; blank for the other tags."""

    NONE = "", _("—")
    MUNICIPAL = "municipal", _("Municipal")
    PROVINCIAL = "provincial", _("Provincial")
    NATIONAL = "national", _("National little giant")


class ListingStage(models.TextChoices):
    NONE = "", _("—")
    TUTORING = "tutoring", _("Tutoring (辅导)")
    FILING = "filing", _("Filing (申报)")
    LISTED = "listed", _("Listed (上市)")


class EnterpriseTag(models.Model):
    """A dated tag: brought in as a key enterprise, 专精特新 at a level, listing reserve at a stage.
    One row per enterprise and kind; a new level or stage updates it (and is audited)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="tags")
    kind = models.CharField(_("tag"), max_length=16, choices=TagKind.choices)
    level = models.CharField(
        _("level"), max_length=12, choices=TagLevel.choices, blank=True, default=""
    )
    stage = models.CharField(
        _("listing stage"), max_length=12, choices=ListingStage.choices, blank=True, default=""
    )
    year = models.PositiveSmallIntegerField(_("year recognised"))
    on = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        ordering = ["enterprise", "kind"]
        verbose_name = _("enterprise tag")
        verbose_name_plural = _("enterprise tags")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "kind"], name="enterprisetag_unique"),
        ]
        indexes = [models.Index(fields=["kind", "level", "year"], name="enterprisetag_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year}"


class PlatformKind(models.TextChoices):
    ACADEMICIAN = "academician", _("Academician expert workstation")
    ENGINEERING = "engineering", _("Engineering technology research centre")
    TECH_CENTRE = "tech_centre", _("Enterprise technology centre")
    KEY_LAB = "key_lab", _("Key laboratory")
    POSTDOC = "postdoc", _("Postdoctoral workstation")
    OTHER = "other", _("Other R&D platform")


class PlatformLevel(models.TextChoices):
    MUNICIPAL = "municipal", _("Municipal")
    PROVINCIAL = "provincial", _("Provincial")
    NATIONAL = "national", _("National")


class RdPlatform(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="platforms")
    name = models.CharField(_("platform name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=PlatformKind.choices)
    level = models.CharField(_("level"), max_length=12, choices=PlatformLevel.choices)
    year = models.PositiveSmallIntegerField(_("year recognised"))

    class Meta:
        ordering = ["enterprise", "-year", "name"]
        verbose_name = _("R&D platform")
        verbose_name_plural = _("R&D platforms")
        indexes = [models.Index(fields=["level", "year"], name="rdplatform_level")]

    def __str__(self) -> str:
        return self.name


class TalentLevel(models.TextChoices):
    """Jinan's talent classification, A (highest) to E."""

    A = "A", _("Class A")
    B = "B", _("Class B")
    C = "C", _("Class C")
    D = "D", _("Class D")
    E = "E", _("Class E")


class TalentOrigin(models.TextChoices):
    """How the talent came to the district."""

    ACADEMICIAN = "academician", _("Academician")
    NATIONAL = "national", _("National talent programme")
    PROVINCIAL = "provincial", _("Provincial talent programme")
    MUNICIPAL = "municipal", _("Municipal talent programme")
    COMPETITION = "competition", _("City innovation competition")
    RECRUITED = "recruited", _("Recruited by an employer")


class Degree(models.TextChoices):
    DOCTOR = "doctor", _("Doctorate")
    MASTER = "master", _("Master's")
    BACHELOR = "bachelor", _("Bachelor's")
    ASSOCIATE = "associate", _("Associate")
    OTHER = "other", _("Other")


class SpouseEmployment(models.TextChoices):
    NO_SPOUSE = "none", _("No spouse")
    EMPLOYED = "employed", _("Employed")
    SEEKING = "seeking", _("Seeking work here")
    NOT_SEEKING = "not_seeking", _("Not seeking work")


class Housing(models.TextChoices):
    OWNS = "owns", _("Owns a home")
    RENTS = "rents", _("Rents")
    APARTMENT = "apartment", _("Talent apartment")


class Talent(models.Model):
    """A talent's profile. ID-card and phone numbers are held as residents' are (encrypted,
    blind-indexed, masked on screen, revealed with an audit row) and through the same code.
    Blank or null family facts mean "not known yet"."""

    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    id_number_enc = models.TextField(blank=True)
    id_number_index = models.CharField(max_length=32, null=True, blank=True, unique=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    phone_enc = models.TextField(blank=True)
    phone_index = models.CharField(max_length=32, blank=True, db_index=True)
    # The street the talent is served in (the employer's, or where they live).
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    level = models.CharField(_("talent level"), max_length=1, choices=TalentLevel.choices)
    origin = models.CharField(
        _("how they came"), max_length=12, choices=TalentOrigin.choices, blank=True
    )
    degree = models.CharField(_("degree"), max_length=12, choices=Degree.choices, blank=True)
    field = models.CharField(_("field"), max_length=60, blank=True)
    employer = models.ForeignKey(
        Enterprise,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="talents",
        verbose_name=_("employer"),
    )
    # An employer that is not an enterprise of the registry (a university, a hospital …).
    employer_name = models.CharField(_("institution"), max_length=120, blank=True)
    arrived_on = models.DateField(_("arrived in the district"), null=True, blank=True)
    spouse_employment = models.CharField(
        _("spouse's employment"), max_length=12, choices=SpouseEmployment.choices, blank=True
    )
    housing = models.CharField(_("housing"), max_length=12, choices=Housing.choices, blank=True)
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commissioner"),
    )
    # The talent's own sign-in (public role "talent"): sees this profile only.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="talent_profile",
    )
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    next_contact_due = models.DateField(_("next contact due"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region_path", "name", "id"]
        verbose_name = _("talent")
        verbose_name_plural = _("talents")
        indexes = [
            models.Index(fields=["region_path", "name"], name="talent_path"),
            models.Index(fields=["level", "region_path"], name="talent_level"),
            models.Index(fields=["commissioner", "next_contact_due"], name="talent_caseload"),
            # A caseload's counts by level and due date inside a scope, from the index alone.
            models.Index(
                fields=["commissioner", "level", "next_contact_due", "region_path"],
                name="talent_caseload_level",
            ),
            models.Index(fields=["name"], name="talent_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Child(models.Model):
    """A talent's child; school age and stage are computed from the birth date."""

    talent = models.ForeignKey(Talent, on_delete=models.CASCADE, related_name="children")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60, blank=True)
    birth_date = models.DateField(_("birth date"))

    class Meta:
        ordering = ["talent", "birth_date"]
        verbose_name = _("child")
        verbose_name_plural = _("children")

    def __str__(self) -> str:
        return self.name or str(self.birth_date)


class EnterpriseAccount(models.Model):
    """An enterprise user's link to its enterprise (public role "enterprise"): it sees that
    enterprise only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enterprise_account"
    )
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="accounts")

    class Meta:
        verbose_name = _("enterprise account")
        verbose_name_plural = _("enterprise accounts")

    def __str__(self) -> str:
        return f"{self.user} → {self.enterprise}"


class Cadence(models.Model):
    """How often a commissioner contacts a talent of a level (and key enterprises, level blank):
    A/B monthly, C/D quarterly by default; the district may change it."""

    level = models.CharField(
        _("talent level"), max_length=1, choices=TalentLevel.choices, blank=True, unique=True
    )
    days = models.PositiveSmallIntegerField(_("contact every (days)"))

    class Meta:
        ordering = ["level"]
        verbose_name = _("contact cadence")
        verbose_name_plural = _("contact cadences")

    def __str__(self) -> str:
        return f"{self.level or '-'}: {self.days}"


class ContactKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Phone call")
    SERVICE = "service", _("Service delivered")
    PROBLEM = "problem", _("Problem found")


class ServiceLog(models.Model):
    """One contact of a commissioner with a talent or an enterprise (exactly one of the two).
    A problem found becomes a ticket of the tickets app, linked here."""

    talent = models.ForeignKey(
        Talent, null=True, blank=True, on_delete=models.PROTECT, related_name="service_logs"
    )
    enterprise = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="service_logs"
    )
    region_path = models.CharField(max_length=255)
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    on = models.DateField(_("date"))
    notes = models.TextField(_("notes"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("service log entry")
        verbose_name_plural = _("service log")
        indexes = [
            models.Index(fields=["talent", "on"], name="servicelog_talent"),
            models.Index(fields=["enterprise", "on"], name="servicelog_enterprise"),
            models.Index(fields=["commissioner", "on"], name="servicelog_commissioner"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(talent__isnull=False, enterprise__isnull=True)
                | models.Q(talent__isnull=True, enterprise__isnull=False),
                name="servicelog_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"


class ProblemCategory(models.TextChoices):
    """The talent-service categories of problems (FACTS.md §3)."""

    SCHOOL = "school", _("Children's school enrolment")
    APARTMENT = "apartment", _("Talent apartment")
    SPOUSE_JOB = "spouse_job", _("Spouse employment")
    HUKOU = "hukou", _("Household registration")
    MEDICAL = "medical", _("Medical insurance")
    TRAVEL = "travel", _("Entry and exit")
    POLICY = "policy", _("Policy consultation")
    OTHER = "other", _("Other talent problem")


class TalentProblem(models.Model):
    """A ticket raised by or for a talent or an enterprise, and the commissioner following it.
    The ticket carries the workflow, deadlines and closure; "problems solved" is counted from
    the tickets, never kept as a number."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="talent_problem"
    )
    talent = models.ForeignKey(
        Talent, null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    enterprise = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    region_path = models.CharField(max_length=255)
    category = models.CharField(_("category"), max_length=12, choices=ProblemCategory.choices)
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("talent problem")
        verbose_name_plural = _("talent problems")
        indexes = [
            models.Index(fields=["commissioner", "created_at"], name="talentproblem_commissioner"),
            models.Index(fields=["region_path", "created_at"], name="talentproblem_path"),
            # The commissioners' list, newest first (its scope is not compared on an index).
            models.Index(fields=["created_at", "id"], name="talentproblem_created"),
            models.Index(fields=["talent"], name="talentproblem_talent"),
            models.Index(fields=["enterprise"], name="talentproblem_enterprise"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(talent__isnull=False, enterprise__isnull=True)
                | models.Q(talent__isnull=True, enterprise__isnull=False),
                name="talentproblem_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} #{self.ticket_id}"


class ProblemMonth(models.Model):
    """Talent problems counted per month, scope path, category and commissioner: ``raised`` in
    the month the problem was raised, ``solved`` in the month its ticket was closed as resolved
    (``problems.SOLVED``, the one definition). What the "problems solved" report and the
    workload read instead of joining every problem with its ticket. Kept by database triggers
    (migration 0006) on the problems and on their tickets, so every writer — raising a problem,
    a ticket's transitions, a handover, the demo's and benches' bulk inserts — moves it in the
    same transaction; tests check it against ``problems.solved_problems`` counted.

    Each problem counts in four rows: under its category and commissioner, and in the roll-ups
    over every commissioner (:attr:`ALL_COMMISSIONERS`), every category (:attr:`ALL_CATEGORIES`)
    and both, so that a report or figure reads the few rows of the level it needs."""

    ALL_COMMISSIONERS = 0
    ALL_CATEGORIES = ""

    month = models.DateField()
    region_path = models.CharField(max_length=255)
    category = models.CharField(max_length=12, choices=ProblemCategory.choices)
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    raised = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "region_path", "category", "commissioner"],
                name="problemmonth_key",
            ),
        ]
        indexes = [
            models.Index(fields=["region_path", "month"], name="problemmonth_path"),
            # A wide scope (the district's) reads one level of the roll-ups over some months.
            models.Index(fields=["commissioner", "month"], name="problemmonth_commissioner"),
            models.Index(fields=["category", "month"], name="problemmonth_category"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.category} {self.region_path}"


class CommissionerProfile(models.Model):
    """A talent commissioner's desk: the office phone shown to its talents and enterprises, and
    whether it still takes cases (a commissioner leaving hands its caseload over first)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commissioner_profile"
    )
    office_phone = models.CharField(_("office phone"), max_length=20, blank=True)
    active = models.BooleanField(_("takes cases"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("commissioner profile")
        verbose_name_plural = _("commissioner profiles")

    def __str__(self) -> str:
        return str(self.user)
