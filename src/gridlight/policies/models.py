"""The policy catalogue: policies and their dated, immutable versions.

A policy says who issued it (issuing body, document number 文号, source), whom it is for (talents,
enterprises or households: a rules subject), how it reaches them (push only, online application,
grant without application 免申即享), its budget in integer fen and its period. What it decides —
who is eligible and how much they get — lives in its versions: a draft may be edited and
simulated; a published version never changes (editing starts a new draft), and the version in
force on a day is the published one with ``effective_from`` ≤ day < ``effective_to``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridlight.core.models import Region


class SubjectType(models.TextChoices):
    TALENT = "talent", _("Talents")
    ENTERPRISE = "enterprise", _("Enterprises")
    HOUSEHOLD = "household", _("Households")


class Mode(models.TextChoices):
    PUSH = "push", _("Push only")
    APPLY = "apply", _("Online application")
    AUTO_GRANT = "auto_grant", _("Grant without application (免申即享)")


class Policy(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    issuer = models.CharField(_("issuing body"), max_length=120)
    doc_number = models.CharField(_("document number"), max_length=80, blank=True)
    source_url = models.URLField(_("source"), max_length=300, blank=True)
    subject_type = models.CharField(_("for"), max_length=12, choices=SubjectType.choices)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    # Integer fen (1 yuan = 100 fen), never a float; null: no budget set.
    budget_fen = models.BigIntegerField(_("budget (fen)"), null=True, blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    materials = models.JSONField(_("required materials"), default=list, blank=True)
    # Policies sharing a group are not cumulated: a subject gets only the highest (就高不重复).
    exclusive_group = models.SlugField(_("exclusive group"), max_length=60, blank=True)
    # The region that issued it (the district): who may manage it, and whose staff see it.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    # The lead department (牵头部门): its members review the policy's applications and
    # re-confirm its grants (policies/access.py); none: the regions' reviewers alone.
    lead_unit = models.ForeignKey(
        "tickets.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lead department"),
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subject_type", "code"]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        indexes = [models.Index(fields=["region_path", "subject_type"], name="policy_path")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_fen__isnull=True) | models.Q(budget_fen__gte=0),
                name="policy_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__isnull=True)
                | models.Q(period_end__isnull=True)
                | models.Q(period_end__gte=models.F("period_start")),
                name="policy_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PolicySourceFile(models.Model):
    """The issuing document of a policy (its "source file": a PDF or an image), uploaded
    through the same checks as application materials (core/uploads.py) and kept, as they are,
    in the database; a newer upload replaces it. Apart from the policy so that listing
    policies never reads the file."""

    policy = models.OneToOneField(
        Policy, on_delete=models.CASCADE, primary_key=True, related_name="source_file"
    )
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class PolicyVersion(models.Model):
    """One version of a policy: its eligibility condition, benefit and test cases
    (``definition``, see policies/definition.py), in force for dated period once published."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    definition = models.JSONField(_("definition"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    edit_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["policy", "-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policyversion_unique"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_from__isnull=True)
                | models.Q(effective_to__gt=models.F("effective_from")),
                name="policyversion_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "effective_from"], name="policyversion_force"),
        ]

    def __str__(self) -> str:
        return f"{self.policy.code} v{self.number}"

    @property
    def in_kind(self) -> bool:
        """The benefit is not money (a talent apartment, a school place, a service): the
        definition names no amount. Approved and granted at 0 fen, charged to no budget."""
        definition = self.definition if isinstance(self.definition, dict) else {}
        return not definition.get("benefit")


# --- matching and precise push (docs/policies-matching.md) -------------------------------------


class MatchState(models.TextChoices):
    """The last evaluation of a policy version for a subject, three-valued as the engine is."""

    MET = "met", _("Matched")
    UNKNOWN = "unknown", _("Possibly (facts missing)")
    NOT_MET = "not_met", _("Not matched")


class MatchStatus(models.TextChoices):
    """Whether a stored match still stands. Rows are never deleted: a subject that no longer
    matches is *withdrawn*; a version no longer in force (a newer one published, or its period
    over) leaves its matches *superseded*."""

    CURRENT = "current", _("Current")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUPERSEDED = "superseded", _("Superseded")


class RunKind(models.TextChoices):
    PUBLISH = "publish", _("Policy published")
    PROFILE = "profile", _("Profile changed")
    NIGHTLY = "nightly", _("Nightly")


class MatchRun(models.Model):
    """One matching run: what started it, over which subjects, and what it changed."""

    kind = models.CharField(_("kind"), max_length=10, choices=RunKind.choices)
    subject_type = models.CharField(_("for"), max_length=12, choices=SubjectType.choices)
    # Set when the run was about one policy (publish) or one subject (profile change).
    policy = models.ForeignKey(
        Policy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_id = models.BigIntegerField(null=True, blank=True)
    as_of = models.DateField(_("as of"))
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    subjects = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    superseded = models.PositiveIntegerField(default=0)
    pushes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type} {self.started_at:%Y-%m-%d %H:%M}"


class Match(models.Model):
    """A policy version evaluated for one subject (a talent, an enterprise or a household).

    One row per subject and version (unique): re-evaluations update it. ``state`` is the last
    verdict; ``missing`` the facts that would decide an unknown one; ``amount_fen`` the computed
    benefit when met (null: not known yet); ``offered`` false when the subject already receives
    the policy or a higher one in its exclusive group supersedes it (``superseded_by``).
    ``explanation`` is the snapshot the verdict was made on: for each field the policy reads,
    the value used, its source and as of when (policies/matching.py ``snapshot``).
    ``is_new``: the row appeared, or its state changed, in the last run that evaluated it.

    Tracking: ``pushed_at`` (a push was queued, see :class:`Push`), ``opened_at`` (the subject
    opened "policies for me" after the push), ``applied_at`` (set by the application workflow
    through ``matching.mark_applied``). Rows with no met or unknown verdict ever are not stored.
    """

    subject_type = models.CharField(_("for"), max_length=12, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    # The subject again as a foreign key of its own type (exactly one is set, matching
    # ``subject_type``), for joins and for deleting a subject's derived rows with it. Not
    # indexed: a subject's matches are looked up by ``subject_type`` and ``subject_id``
    # (``match_subject_version``); a run writes hundreds of thousands of rows, and every index
    # is one more tree to update per row (0.2–0.5 s of PostgreSQL's CPU for a first run of
    # 290,000, 0.3 s on SQLite). Deleting a subject — which nothing in the app does — reads the
    # table once. Not checked by the database (``db_constraint=False``): a run writes only
    # subjects it has just read from their own table, and deleting a subject deletes its
    # matches through Django (``CASCADE`` is done by the ORM, not by the database). On
    # PostgreSQL each check is a query per row written, run at commit: 2.5 s of the server's
    # CPU for a first run of 290,000 matches.
    talent = models.ForeignKey(
        "talent.Talent",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    enterprise = models.ForeignKey(
        "talent.Enterprise",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    household = models.ForeignKey(
        "households.Household",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # Indexed by ``match_policy`` (policy first). Not checked by the database a second time:
    # the version is, and it belongs to the policy (one lookup less per row written).
    policy = models.ForeignKey(
        Policy,
        on_delete=models.PROTECT,
        related_name="matches",
        db_index=False,
        db_constraint=False,
    )
    # Neither checked by the database nor indexed on its own, for the same reason: a run
    # writes only versions in force that it has just read. ``PROTECT`` is the ORM's — deleting
    # a version with matches is refused — and the lookups by version go through the policy
    # first (``match_policy``). The check was 2.9 s of the server's CPU for a first run.
    version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.PROTECT,
        related_name="matches",
        db_index=False,
        db_constraint=False,
    )
    # The subject's region path (scoping: a commissioner sees the matches of its streets).
    region_path = models.CharField(max_length=255)
    state = models.CharField(_("state"), max_length=8, choices=MatchState.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=MatchStatus.choices, default=MatchStatus.CURRENT
    )
    offered = models.BooleanField(_("offered"), default=True)
    superseded_by = models.CharField(max_length=60, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)
    missing = models.JSONField(_("missing facts"), default=list, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    # A hash of what a run stores (state, amount, offer, missing, explanation): a re-run writes
    # only the rows whose digest changed.
    digest = models.CharField(max_length=32, blank=True, default="")
    is_new = models.BooleanField(_("new since last run"), default=True)
    # Bookkeeping, neither indexed nor checked by the database: nothing looks matches up by
    # run, runs are kept, and each check is a lookup per row written.
    first_run = models.ForeignKey(
        MatchRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    last_run = models.ForeignKey(
        MatchRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField()
    evaluated_at = models.DateTimeField()
    changed_at = models.DateTimeField()
    matched_at = models.DateTimeField(_("first matched"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        ordering = ["policy", "region_path", "subject_id"]
        verbose_name = _("policy match")
        verbose_name_plural = _("policy matches")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "version"], name="match_subject_version"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        subject_type="talent",
                        talent__isnull=False,
                        enterprise__isnull=True,
                        household__isnull=True,
                    )
                    | models.Q(
                        subject_type="enterprise",
                        talent__isnull=True,
                        enterprise__isnull=False,
                        household__isnull=True,
                    )
                    | models.Q(
                        subject_type="household",
                        talent__isnull=True,
                        enterprise__isnull=True,
                        household__isnull=False,
                    )
                ),
                name="match_one_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_fen__isnull=True) | models.Q(amount_fen__gte=0),
                name="match_amount_not_negative",
            ),
        ]
        # A subject's matches are found through ``match_subject_version`` (subject first).
        indexes = [
            models.Index(fields=["policy", "status", "state"], name="match_policy"),
            models.Index(fields=["region_path", "policy"], name="match_path"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id} / {self.version_id} ({self.state})"


class Push(models.Model):
    """A precise push: an in-app notice and an SMS through the notice outbox
    (``tickets.Notice``, keys ``policy-push:<push id>:…``). At most one per subject and policy
    version — the unique constraint below makes a second one impossible, whatever runs twice."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="pushes")
    subject_type = models.CharField(max_length=12, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    # Indexed by ``push_policy`` (policy first) and, as for matches, checked through the
    # version; the run is neither looked up by nor deleted.
    policy = models.ForeignKey(
        Policy,
        on_delete=models.PROTECT,
        related_name="pushes",
        db_index=False,
        db_constraint=False,
    )
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="pushes")
    region_path = models.CharField(max_length=255)
    created_at = models.DateTimeField()
    run = models.ForeignKey(
        MatchRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("policy push")
        verbose_name_plural = _("policy pushes")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "version"], name="push_once_per_version"
            ),
        ]
        indexes = [
            models.Index(fields=["policy", "created_at"], name="push_policy"),
            models.Index(fields=["region_path", "created_at"], name="push_path"),
        ]

    def __str__(self) -> str:
        return f"push {self.subject_type}:{self.subject_id} / {self.version_id}"


# --- online application (申报网上办理) and grants (免申即享) -------------------------------------


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted (受理)")
    FIRST_PASSED = "first_passed", _("First review passed (初审)")
    RETURNED = "returned", _("Returned for correction (补正)")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_APPLICATION = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.FIRST_PASSED,
    ApplicationStatus.RETURNED,
)
# An application in these states leaves room for another one of the same subject and policy.
ENDED_WITHOUT_GRANT = (ApplicationStatus.REFUSED, ApplicationStatus.WITHDRAWN)


class Application(models.Model):
    """A talent's or an enterprise's application for one policy version: the facts of its
    profile when submitted, its materials, where it stands in review and what was decided.
    One live application per subject, policy and period (a refused or withdrawn one leaves
    room; an approved one of last year's period does too, for a yearly policy)."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="applications")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    subject_type = models.CharField(max_length=12, choices=SubjectType.choices)
    talent = models.ForeignKey(
        "talent.Talent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "talent.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # "talent:12" or "enterprise:7": the one key uniqueness and grants use.
    subject_key = models.CharField(max_length=40)
    subject_name = models.CharField(_("applicant"), max_length=120)
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=14,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
    )
    statement = models.TextField(_("statement"), max_length=2000, blank=True)
    # The profile's facts when (re)submitted, JSON-safe, as the reviewers see them.
    facts = models.JSONField(default=dict)
    computed_fen = models.BigIntegerField(_("computed amount (fen)"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("approved amount (fen)"), null=True, blank=True)
    adjust_reason = models.CharField(_("adjustment reason"), max_length=300, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)
    submitted_on = models.DateField(_("submitted on"))
    # The policy's period it was submitted in (``grants.period_of``: the policy's own period,
    # else the calendar year): a yearly policy is applied for again the next year.
    period = models.CharField(_("period"), max_length=24, default="")
    due_on = models.DateField(_("due"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    first_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    edit_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [
            models.Index(fields=["region_path", "status"], name="application_path"),
            models.Index(fields=["policy", "status"], name="application_policy"),
            models.Index(fields=["subject_key"], name="application_subject"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "subject_key", "period"],
                condition=~models.Q(status__in=["refused", "withdrawn"]),
                name="application_one_live_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(talent__isnull=False, enterprise__isnull=True)
                | models.Q(talent__isnull=True, enterprise__isnull=False),
                name="application_one_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_fen__isnull=True) | models.Q(amount_fen__gte=0),
                name="application_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} · {self.policy_id}"


class ApplicationStep(models.Model):
    """One step of an application's history, as the applicant and the reviewers see it."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=20)
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    due_on = models.DateField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.step} → {self.to_status}"


class ApplicationMaterial(models.Model):
    """An uploaded material of the policy's checklist (checked as ticket attachments are:
    core/uploads.py). A correction uploads a newer file; the newest of each material counts."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material = models.CharField(max_length=100)
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["material", "-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class PolicyBudget(models.Model):
    """What a policy has committed of its budget: every grant adds its amount by one
    conditional UPDATE (``committed + amount <= budget``), so concurrent confirmations can
    never together exceed it (policies/grants.py)."""

    policy = models.OneToOneField(
        Policy, on_delete=models.CASCADE, primary_key=True, related_name="budget"
    )
    committed_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(committed_fen__gte=0), name="policybudget_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}: {self.committed_fen}"


class GrantSource(models.TextChoices):
    AUTO = "auto", _("Without application (免申即享)")
    APPLICATION = "application", _("Approved application")


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting re-confirmation (二次确认)")
    CONFIRMED = "confirmed", _("Confirmed")
    BATCHED = "batched", _("In a payment batch")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentBatch(models.Model):
    """Confirmed grants of one policy handed to the finance office together: exported to
    Excel, then marked paid (by hand or from the returned sheet)."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="payment_batches")
    number = models.PositiveIntegerField()
    region_path = models.CharField(max_length=255)
    total_fen = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    paid = models.BooleanField(default=False)
    paid_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="paymentbatch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}-{self.number}"


class Grant(models.Model):
    """Money a subject is to receive under a policy in one period: from a confirmed
    免申即享 offer or an approved application. At most one per subject, policy and period
    (a cancelled grant leaves room): never paid twice, by a unique key."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="grants")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    subject_type = models.CharField(max_length=12, choices=SubjectType.choices)
    talent = models.ForeignKey(
        "talent.Talent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "talent.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_key = models.CharField(max_length=40)
    subject_name = models.CharField(_("recipient"), max_length=120)
    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255)
    period = models.CharField(_("period"), max_length=24)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    source = models.CharField(max_length=12, choices=GrantSource.choices)
    application = models.OneToOneField(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="grant"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.PENDING
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField()
    reconfirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reconfirmed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    batch = models.ForeignKey(
        PaymentBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    paid_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-confirmed_at", "-id"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        indexes = [
            models.Index(fields=["region_path", "status"], name="grant_path"),
            models.Index(fields=["policy", "status"], name="grant_policy"),
            models.Index(fields=["subject_key"], name="grant_subject"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "subject_key", "period"],
                condition=~models.Q(status="cancelled"),
                name="grant_once_per_period",
            ),
            # 0 fen: a benefit in kind (a place, a service), or a money benefit decided at 0
            # with a reason; neither is charged to the budget nor paid in a batch.
            models.CheckConstraint(
                condition=models.Q(amount_fen__gte=0), name="grant_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(talent__isnull=False, enterprise__isnull=True)
                | models.Q(talent__isnull=True, enterprise__isnull=False),
                name="grant_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} · {self.policy_id} · {self.period}"
