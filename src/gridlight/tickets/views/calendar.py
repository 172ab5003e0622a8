"""The working-day calendar page: the district's own days, and the State Council's yearly notice
of holiday arrangements for years the national calendar package does not know yet (see
docs/calendar.md). Writes go through the calendar services in core/services.py."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gridlight.core import services
from gridlight.core.access import Perm, SignedInRequest, access
from gridlight.core.forms import Form, date_input
from gridlight.core.models import CalendarNotice, WorkdayOverride
from gridlight.core.views.common import submit
from gridlight.core.workdays import district_calendar, holiday_label, statutory_holidays

# Between dates, a range; between entries, a list. ISO dates use "-" themselves.
_RANGE = re.compile(r"\s*(?:~|～|至|\.\.|—|–|\bto\b)\s*")
_LIST = re.compile(r"[\s,，、;；]+")
MAX_RANGE_DAYS = 31
MAX_TEXT = 4000


def parse_days(text: str) -> list[date]:
    """Days written one per line or comma separated, each a date (2027-02-05) or a range
    (2027-02-05 ~ 2027-02-11, or with 至); refuses anything else with the entry at fault."""
    days: list[date] = []
    for line in text.splitlines():
        spans = _RANGE.sub("~", line.strip())
        for entry in filter(None, _LIST.split(spans)):
            first, _sep, last = entry.partition("~")
            try:
                start = date.fromisoformat(first)
                end = date.fromisoformat(last) if last else start
            except ValueError:
                raise forms.ValidationError(
                    _(
                        "“%(entry)s” is not a date such as 2027-02-05 or a range such as "
                        "2027-02-05 ~ 2027-02-11."
                    )
                    % {"entry": entry[:40]}
                ) from None
            if not 0 <= (end - start).days < MAX_RANGE_DAYS:
                raise forms.ValidationError(
                    _("The range “%(entry)s” must run forward and span at most %(n)s days.")
                    % {"entry": entry[:40], "n": MAX_RANGE_DAYS}
                )
            days.extend(start + timedelta(days=n) for n in range((end - start).days + 1))
    return days


class DaysField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.Textarea(attrs={"rows": 4}), **kwargs)

    def to_python(self, value: Any) -> list[date]:  # type: ignore[override]
        text = str(super().to_python(value))
        if len(text) > MAX_TEXT:
            raise forms.ValidationError(_("At most %(n)s characters.") % {"n": MAX_TEXT})
        return parse_days(text)


class OverrideForm(Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=date_input())
    is_workday = forms.TypedChoiceField(
        label=gettext_lazy("It is"),
        coerce=lambda v: v == "1",
        choices=[("1", gettext_lazy("a working day")), ("0", gettext_lazy("a day off"))],
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=100, required=False)


class NoticeForm(Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2099)
    document = forms.CharField(
        label=gettext_lazy("Notice (title or document number)"), max_length=200
    )
    days_off = DaysField(
        label=gettext_lazy("Days off"),
        help_text=gettext_lazy("Every day off of the holidays, weekends inside them included."),
    )
    workdays = DaysField(
        label=gettext_lazy("Make-up working days (调休)"),
        required=False,
        help_text=gettext_lazy("Saturdays and Sundays worked."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _days_text(days: list[date]) -> str:
    return "\n".join(f"{d:%Y-%m-%d}" for d in days)


def _notice_initial(year: int) -> dict[str, Any]:
    """The form for ``year``: the notice already entered, or the statutory days the regulation
    gives (to which the State Council's in-lieu days and make-up days are added)."""
    notice = CalendarNotice.objects.filter(year=year).first()
    if notice is not None:
        days = list(notice.days.order_by("day").values_list("day", "is_workday"))
        return {
            "year": year,
            "document": notice.document,
            "days_off": _days_text([d for d, w in days if not w]),
            "workdays": _days_text([d for d, w in days if w]),
            "version": notice.version,
        }
    return {"year": year, "days_off": _days_text(sorted(statutory_holidays(year)))}


def _page(
    request: HttpRequest, *, form: OverrideForm, notice_form: NoticeForm, status: int
) -> HttpResponse:
    cal = district_calendar()
    this_year = timezone.localdate().year
    uncovered = [
        {
            "year": y,
            "statutory": [
                {"day": d, "name": holiday_label(n)} for d, n in sorted(cal.statutory(y).items())
            ],
        }
        for y in (this_year, this_year + 1)
        if not cal.covers(y)
    ]
    return render(
        request,
        "tickets/calendar.html",
        {
            "form": form,
            "notice_form": notice_form,
            "overrides": WorkdayOverride.objects.select_related("notice").order_by("-day")[:200],
            "notices": CalendarNotice.objects.select_related("entered_by")[:20],
            "uncovered": uncovered,
        },
        status=status,
    )


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    this_year = timezone.localdate().year
    if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2099:
        return int(raw)
    cal = district_calendar()
    return next((y for y in (this_year, this_year + 1) if not cal.covers(y)), this_year + 1)


@access(Perm.TICKET_ADMIN)
def calendar(request: SignedInRequest) -> HttpResponse:
    """The calendar page; a POST sets one day."""
    form = OverrideForm(request.POST or None)
    done, status = submit(
        request,
        form,
        lambda d: services.workday_override_set(
            actor=request.user, day=d["day"], is_workday=d["is_workday"], note=d["note"]
        ),
    )
    if done is not None:
        messages.success(request, _("Saved."))
        return redirect("tickets:calendar")
    notice_form = NoticeForm(initial=_notice_initial(_year(request)), prefix="notice")
    return _page(request, form=form, notice_form=notice_form, status=status)


@require_POST
@access(Perm.TICKET_ADMIN)
def calendar_notice(request: SignedInRequest) -> HttpResponse:
    """Enter (or correct) the State Council's notice for a year: its days off and make-up days
    in one audited step."""
    notice_form = NoticeForm(request.POST, prefix="notice")
    done, status = submit(
        request,
        notice_form,
        lambda d: services.calendar_notice_enter(
            actor=request.user,
            year=d["year"],
            document=d["document"],
            days_off=d["days_off"],
            workdays=d["workdays"],
            version=d["version"],
        ),
    )
    if done is not None:
        messages.success(request, _("The notice of %(year)s is entered.") % {"year": done.year})
        return redirect(reverse("tickets:calendar") + f"?year={done.year}")
    return _page(request, form=OverrideForm(), notice_form=notice_form, status=status)


@require_POST
@access(Perm.TICKET_ADMIN)
def calendar_delete(request: SignedInRequest, pk: int) -> HttpResponse:
    override = get_object_or_404(WorkdayOverride, pk=pk)
    services.workday_override_delete(actor=request.user, override=override)
    messages.success(request, _("Removed."))
    return redirect("tickets:calendar")
