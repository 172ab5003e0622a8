"""Days whose working status differs from what the statutory calendar says, and the State
Council notices the district has entered for years the calendar package does not know yet."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarNotice(models.Model):
    """The State Council's notice of a year's holiday arrangements (关于某年部分节假日安排的
    通知), entered by the district: its days off and make-up working days are overrides that
    point here. A year with a notice counts as fully known (no more warning)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    document = models.CharField(_("notice"), max_length=200)
    entered_at = models.DateTimeField(_("entered at"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("holiday notice")
        verbose_name_plural = _("holiday notices")

    def __str__(self) -> str:
        return f"{self.year} {self.document}"


class WorkdayOverride(models.Model):
    """A day made a working day or a day off by the district itself, or a statutory day the
    calendar package does not know yet (a new year's 调休 announced after its release)."""

    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)
    # Set when the day was entered as part of a State Council notice.
    notice = models.ForeignKey(
        CalendarNotice, null=True, blank=True, on_delete=models.CASCADE, related_name="days"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")

    def __str__(self) -> str:
        return f"{self.day} {'workday' if self.is_workday else 'day off'}"
