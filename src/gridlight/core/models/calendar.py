"""Days whose working status differs from what the statutory calendar says."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkdayOverride(models.Model):
    """A day made a working day or a day off by the district itself, or a statutory day the
    calendar package does not know yet (a new year's 调休 announced after its release)."""

    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")

    def __str__(self) -> str:
        return f"{self.day} {'workday' if self.is_workday else 'day off'}"
