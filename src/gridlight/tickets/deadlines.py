"""Deadlines of a dispatch in working days (see docs/tickets.md).

A deadline "within N working days" ends at midnight after the N-th working day following the
day of dispatch. It is stored as that moment but shown as its last day ("2026-12-10 当日"):
pages, exports, the API, Open311 and notices all go through :func:`deadline_label` (or
:func:`last_day_label`, for text built in SQL). The yellow card starts ``yellow_days`` working
days before that day ends; the ticket is put under supervision ``supervise_days`` working days
after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core.workdays import WorkCalendar, package_covers
from gridlight.tickets.models import SlaPolicy


def end_of(day: date) -> datetime:
    """Midnight after ``day``, in the district's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time(0)))


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def due_day(deadline: datetime) -> date:
    """The last day a deadline (midnight after it, see :func:`end_of`) leaves to act."""
    return local_day(deadline - timedelta(microseconds=1))


def last_day_label(day: str) -> str:
    """How a deadline's last day (written ``YYYY-MM-DD``) is shown: "2026-12-10 当日"."""
    return _("%(day)s (end of day)") % {"day": day}


def deadline_label(deadline: datetime | None) -> str:
    """A deadline as people read it: its last day, never the midnight after it ("" for none)."""
    if deadline is None:
        return ""
    return last_day_label(f"{due_day(deadline):%Y-%m-%d}")


def last_moment(deadline: datetime | None) -> datetime | None:
    """The last second of a deadline's last day (23:59:59), for formats that want a
    date-time: a client shows it on the right day, where midnight after it reads as the day
    after."""
    return None if deadline is None else deadline - timedelta(seconds=1)


@dataclass(frozen=True)
class Deadlines:
    sign_due: datetime
    return_due: datetime
    due_at: datetime
    yellow_at: datetime
    supervise_at: datetime


def for_dispatch(
    calendar: WorkCalendar, policy: SlaPolicy, at: datetime, extra_days: int = 0
) -> Deadlines:
    start = local_day(at)
    due_day = calendar.add_workdays(start, policy.handle_days + extra_days)
    return Deadlines(
        sign_due=end_of(calendar.add_workdays(start, policy.response_days)),
        return_due=end_of(calendar.add_workdays(start, policy.return_days)),
        **handling(calendar, policy, due_day),
    )


def handling(calendar: WorkCalendar, policy: SlaPolicy, due_day: date) -> dict[str, datetime]:
    """The handling deadline and its card and supervision moments for a given last day."""
    return {
        "due_at": end_of(due_day),
        "yellow_at": end_of(calendar.subtract_workdays(due_day, policy.yellow_days)),
        "supervise_at": end_of(calendar.add_workdays(due_day, policy.supervise_days)),
    }


def calendar_gaps(*days: date | None) -> list[int]:
    """The years among ``days`` whose make-up working days are not known: the national calendar
    does not know them and the district has not entered the State Council's notice. Deadlines
    there count the regulation's statutory holidays, weekends and the district's own entries,
    and the pages that show such a deadline say so."""
    from gridlight.core.models import CalendarNotice

    unknown = {d.year for d in days if d is not None and not package_covers(d.year)}
    if unknown:
        unknown -= set(
            CalendarNotice.objects.filter(year__in=unknown).values_list("year", flat=True)
        )
    return sorted(unknown)


def horizon_days() -> int:
    """How many calendar days ahead the deadlines of a dispatch made today may reach: the
    longest handling time with every extension, in working days, spread over weekends and a
    long holiday."""
    from django.db.models import F, Max

    longest = SlaPolicy.objects.aggregate(n=Max(F("handle_days") + F("max_extension_days")))["n"]
    return (longest or 0) * 7 // 5 + 14
