"""Rule sets and their dated, immutable versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleSet(models.Model):
    """A named set of rules for one kind of subject (the traffic light of households, …)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    subject = models.CharField(_("subject"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class RuleSetVersion(models.Model):
    """One version of a rule set. A draft may be edited; a published version never changes:
    editing starts a new draft. The version in force on a day is the published one whose
    ``effective_from`` ≤ day < ``effective_to``."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="versions")
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
        ordering = ["rule_set", "-number"]
        verbose_name = _("rule set version")
        verbose_name_plural = _("rule set versions")
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "number"], name="ruleset_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_set.code} v{self.number}"
