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
